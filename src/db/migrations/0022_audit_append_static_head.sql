-- audit_append (0019) planned its head lookup on every call (EXECUTE), so that a connection could
-- not keep a plan made while the log was small, which reads the whole log. Planning it is much of
-- the function's own cost: `npm run bench:sql-functions` measures PostgreSQL's CPU per call at
-- 71 - 85% of 0019's for a batch of one entry and 77 - 86% for a batch of 11 (the delivery
-- benchmark's usual group commit); docs/benchmarks.md, "Delivery". The lookup is static again,
-- planned once per connection, and the function runs with sequential scans off, so the plan it
-- keeps is the primary key's whatever the log's size then: the only table it reads is audit_log,
-- through that key, and the insert reads the entries it is given. The rest is 0019's body.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb, expected_seq bigint, expected_hash text)
RETURNS TABLE (appended boolean, head_seq bigint, head_hash text)
LANGUAGE plpgsql VOLATILE
-- Plans made inside the function never scan a table sequentially: the head lookup is kept as the
-- backward scan of the primary key, however small the log was when the connection planned it.
SET enable_seqscan = off
AS $$
DECLARE
  found_seq  bigint := 0;
  found_hash text := repeat('0', 64);
BEGIN
  PERFORM pg_advisory_xact_lock(7411203819);
  SELECT a.seq, a.hash INTO found_seq, found_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
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
