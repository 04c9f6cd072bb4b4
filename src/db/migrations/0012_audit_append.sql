-- Appending to the audit chain in one statement (src/audit/repository.ts appendIfHead). The
-- caller hashes its entries onto the head it expects; audit_append takes the chain lock (the
-- advisory lock every append holds until its transaction ends), reads the head and, only if it is
-- the expected one, inserts the entries. Otherwise it inserts nothing and answers the head it
-- found, onto which the caller hashes again. With expected_seq NULL it only locks and answers the
-- head. In a VOLATILE function each statement sees what committed before it, so the head is read
-- after the lock is held even when audit_append is a statement of its own. The head of the empty
-- log is seq 0 with 64 zeros (GENESIS in src/audit/chain.ts).
CREATE FUNCTION audit_append(entries jsonb, expected_seq bigint, expected_hash text)
RETURNS TABLE (appended boolean, head_seq bigint, head_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  found_seq  bigint := 0;
  found_hash text := repeat('0', 64);
BEGIN
  PERFORM pg_advisory_xact_lock(7411203819);
  SELECT a.seq, a.hash INTO found_seq, found_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  IF NOT FOUND THEN
    found_seq := 0;
    found_hash := repeat('0', 64);
  END IF;
  IF expected_seq IS NULL OR found_seq <> expected_seq OR found_hash <> expected_hash THEN
    RETURN QUERY SELECT false, found_seq, found_hash;
    RETURN;
  END IF;
  IF jsonb_array_length(entries) > 0
     AND ((entries->0->'content'->>'seq')::bigint <> found_seq + 1 OR entries->0->>'prev_hash' <> found_hash) THEN
    RAISE EXCEPTION 'audit entries do not continue the chain after seq %', found_seq;
  END IF;
  INSERT INTO audit_log (seq, at, action, actor_client_id, actor_org_id, resource_type, resource_id, dataset_id, decision, content, prev_hash, hash)
  SELECT (e->'content'->>'seq')::bigint, (e->'content'->>'at')::timestamptz, e->'content'->>'action',
         e->'content'->>'actor_client_id', e->'content'->>'actor_org_id', e->'content'->>'resource_type',
         e->'content'->>'resource_id', e->'content'->>'dataset_id', e->'content'->>'decision',
         e->'content', e->>'prev_hash', e->>'hash'
  FROM jsonb_array_elements(entries) AS e;
  SELECT a.seq, a.hash INTO found_seq, found_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  RETURN QUERY SELECT true, found_seq, found_hash;
END
$$;
