-- grant_charge (0020) planned its two statements on every call (EXECUTE), so that a connection
-- could not keep a plan made while grant_usage was a page long, which reads every grant's every
-- day. As with audit_append (0022), planning was much of the function's cost: `npm run
-- bench:sql-functions` measures PostgreSQL's CPU per call, for a group of six reads, at 50 - 62%
-- of 0020's (docs/benchmarks.md, "Delivery"). The statements are static again and are planned with
-- sequential scans off (for the function only: a SET clause, as 0022's), so every plan they keep
-- goes through the primary key whatever the table's size then. The synchronous_commit it turns off
-- stays off for its transaction, as before. The rest is 0020's body.
CREATE OR REPLACE FUNCTION grant_charge(p_grant_id text, p_day date, p_costs integer[], p_quota integer)
RETURNS TABLE (admitted boolean[], used integer)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  found_used integer;
  taken      integer := 0;
  cost       integer;
  fates      boolean[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT u.used INTO found_used FROM grant_usage u WHERE u.grant_id = p_grant_id AND u.day = p_day FOR UPDATE;
  IF found_used IS NULL THEN
    INSERT INTO grant_usage (grant_id, day, used) VALUES (p_grant_id, p_day, 0) ON CONFLICT (grant_id, day) DO NOTHING;
    SELECT u.used INTO found_used FROM grant_usage u WHERE u.grant_id = p_grant_id AND u.day = p_day FOR UPDATE;
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
    UPDATE grant_usage u SET used = u.used + taken WHERE u.grant_id = p_grant_id AND u.day = p_day;
  END IF;
  RETURN QUERY SELECT fates, found_used + taken;
END
$$;
