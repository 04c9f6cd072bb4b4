-- grant_charge (0017) read and updated the day's row with static queries, which PL/pgSQL plans
-- for the given parameters a few times and then may keep one plan for the connection. Kept while
-- the statistics said grant_usage was a page long, that plan reads every grant's every day on each
-- later charge, and grant_usage gains a row per grant and day for good. Where autovacuum runs, its
-- next ANALYZE replaces the plan; where it does not (or before it does), the plan stays. The row
-- is now read and updated by queries planned on every call (EXECUTE … USING): through the primary
-- key once the table is more than a page or two. The insert's conflict check always goes through
-- that key, as before. Nothing else changes (0017 has the reasons for the rest).
CREATE OR REPLACE FUNCTION grant_charge(p_grant_id text, p_day date, p_costs integer[], p_quota integer)
RETURNS TABLE (admitted boolean[], used integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  day_row    constant text := 'SELECT u.used FROM grant_usage u WHERE u.grant_id = $1 AND u.day = $2 FOR UPDATE';
  found_used integer;
  taken      integer := 0;
  cost       integer;
  fates      boolean[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  EXECUTE day_row INTO found_used USING p_grant_id, p_day;
  IF found_used IS NULL THEN
    INSERT INTO grant_usage (grant_id, day, used) VALUES (p_grant_id, p_day, 0) ON CONFLICT (grant_id, day) DO NOTHING;
    EXECUTE day_row INTO found_used USING p_grant_id, p_day;
  END IF;
  FOREACH cost IN ARRAY p_costs LOOP
    IF cost >= 0 AND found_used + taken + cost <= p_quota THEN
      taken := taken + cost;
      fates := fates || true;
    ELSE
      fates := fates || false;
    END IF;
  END LOOP;
  IF taken > 0 THEN
    EXECUTE 'UPDATE grant_usage u SET used = u.used + $3 WHERE u.grant_id = $1 AND u.day = $2' USING p_grant_id, p_day, taken;
  END IF;
  RETURN QUERY SELECT fates, found_used + taken;
END
$$;
