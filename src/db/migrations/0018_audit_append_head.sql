-- audit_append (0012) answered the new head by reading the log's last entry again after its
-- insert. The inserted entries already name it: the last one's seq and hash, which the insert has
-- just checked continue the chain. One index read fewer per appended batch; nothing else changes.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb, expected_seq bigint, expected_hash text)
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
