-- Charging a grant's daily quota for several reads in one statement (src/exchange/quota.ts).
-- Reads of one grant that arrive while a charge is in flight are charged together by the next:
-- grant_charge takes the day's row lock (creating the row at 0 if it is the day's first read),
-- admits the costs in the order given while the total stays within the quota (a cost that does
-- not fit is refused and later, smaller ones may still fit, exactly as one statement per read in
-- that order would decide), adds what it admitted, and answers each read's fate and the day's
-- total. The row lock serialises charges of one grant on every gateway process alike.
--
-- Its commit does not wait for the WAL to reach disk (synchronous_commit off for this
-- transaction only): delivery charges before it appends the read's audit entry, whose commit
-- does wait, and a flush carries all WAL before it; so every read that was answered has its
-- charge on disk, and a crash can only lose the charge of a read that was never answered.
CREATE FUNCTION grant_charge(p_grant_id text, p_day date, p_costs integer[], p_quota integer)
RETURNS TABLE (admitted boolean[], used integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  found_used integer;
  taken      integer := 0;
  cost       integer;
  fates      boolean[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT u.used INTO found_used FROM grant_usage u WHERE u.grant_id = p_grant_id AND u.day = p_day FOR UPDATE;
  IF NOT FOUND THEN
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
