-- What a read is decided from (src/exchange/repository.ts readContext): the dataset as the caller's
-- catalogue view shows it, the provider's and the caller's regions, the grants the caller's
-- organisation holds on it, and the tier policy. A gateway keeps what its last reads found and uses
-- it only while this counter, read in the read's own statement, has not moved. Every transaction
-- that changes one of those facts moves it as it commits, so a read sees the change exactly when
-- it sees the counter move: a revoked grant is refused at the very next read on every
-- process, as before. Changes that no read depends on (an ingest's counts, an organisation's name)
-- leave it alone, so the cache keeps working while data flows.
CREATE TABLE read_context_version (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version   bigint NOT NULL
);
INSERT INTO read_context_version (singleton, version) VALUES (true, 1);

-- The counter moves once per transaction, when it commits: the triggers are deferred, so a
-- transaction takes the counter's row lock as the last lock it takes and waits for nothing while
-- holding it, and two transactions cannot deadlock over it, whatever order they took other locks in.
CREATE FUNCTION read_context_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('qiao.read_context_moved', true) IS DISTINCT FROM 'on' THEN
    UPDATE read_context_version SET version = version + 1 WHERE singleton;
    PERFORM set_config('qiao.read_context_moved', 'on', true);
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER grants_read_context AFTER INSERT OR UPDATE OR DELETE ON grants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION read_context_changed();
CREATE CONSTRAINT TRIGGER tier_policy_read_context AFTER INSERT OR UPDATE OR DELETE ON tier_policy
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION read_context_changed();
CREATE CONSTRAINT TRIGGER organisations_read_context AFTER INSERT OR DELETE OR UPDATE OF id, region_code ON organisations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION read_context_changed();
CREATE CONSTRAINT TRIGGER datasets_read_context AFTER INSERT OR DELETE
  OR UPDATE OF id, provider_id, tier, sharing, open, status, key_field, standard_name, standard_version ON datasets
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION read_context_changed();

-- TRUNCATE has no row events: it moves the counter at once (it locks the whole table anyway).
CREATE TRIGGER grants_read_context_truncate AFTER TRUNCATE ON grants FOR EACH STATEMENT EXECUTE FUNCTION read_context_changed();
CREATE TRIGGER tier_policy_read_context_truncate AFTER TRUNCATE ON tier_policy FOR EACH STATEMENT EXECUTE FUNCTION read_context_changed();
CREATE TRIGGER organisations_read_context_truncate AFTER TRUNCATE ON organisations FOR EACH STATEMENT EXECUTE FUNCTION read_context_changed();
CREATE TRIGGER datasets_read_context_truncate AFTER TRUNCATE ON datasets FOR EACH STATEMENT EXECUTE FUNCTION read_context_changed();
