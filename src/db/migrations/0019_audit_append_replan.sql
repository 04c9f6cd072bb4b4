-- audit_append (0018) looked up the chain's head with a static query, which PL/pgSQL plans once
-- per connection and keeps. A connection that first appended while the log was a few pages long
-- kept a plan that reads the whole log (a sequential scan is the cheaper way through a few pages),
-- and read the whole log on every later append as it grew: measured on the delivery benchmark, a
-- third of PostgreSQL's CPU per read, growing with the log. Where autovacuum runs, its next
-- ANALYZE of audit_log replaces the plan; where it does not (or before it does), the plan stays.
-- The lookup is now planned on every call (EXECUTE), from the log's size at that moment: a
-- backward scan of the primary key once the log is more than a few pages. The rest is 0018's body.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb, expected_seq bigint, expected_hash text)
RETURNS TABLE (appended boolean, head_seq bigint, head_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  found_seq  bigint := 0;
  found_hash text := repeat('0', 64);
BEGIN
  PERFORM pg_advisory_xact_lock(7411203819);
  EXECUTE 'SELECT a.seq, a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1' INTO found_seq, found_hash;
  IF found_seq IS NULL THEN
    found_seq := 0;
    found_hash := repeat('0', 64);
  END IF;
  IF expected_seq IS NULL OR found_seq <> expected_seq OR found_hash <> expected_hash THEN
    RETURN QUERY SELECT false, found_seq, found_hash;
    RETURN;
  END IF;
  IF jsonb_array_length(entries) = 0 THEN
    RETURN QUERY SELECT true, found_seq, found_hash;
    RETURN;
  END IF;
  IF (entries->0->'content'->>'seq')::bigint <> found_seq + 1 OR entries->0->>'prev_hash' <> found_hash THEN
    RAISE EXCEPTION 'audit entries do not continue the chain after seq %', found_seq;
  END IF;
  INSERT INTO audit_log (seq, at, action, actor_client_id, actor_org_id, resource_type, resource_id, dataset_id, decision, content, prev_hash, hash)
  SELECT (e->'content'->>'seq')::bigint, (e->'content'->>'at')::timestamptz, e->'content'->>'action',
         e->'content'->>'actor_client_id', e->'content'->>'actor_org_id', e->'content'->>'resource_type',
         e->'content'->>'resource_id', e->'content'->>'dataset_id', e->'content'->>'decision',
         e->'content', e->>'prev_hash', e->>'hash'
  FROM jsonb_array_elements(entries) AS e;
  RETURN QUERY SELECT true, (entries->-1->'content'->>'seq')::bigint, entries->-1->>'hash';
END
$$;
