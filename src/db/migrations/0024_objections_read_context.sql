-- A read's context (src/exchange/repository.ts readContext) now says whether any record of the
-- dataset is under an unresolved objection (raised or accepted). While the context holds and says
-- none is, a read selects its page without looking for disputed records, which cost PostgreSQL
-- about 12 µs a page even when there were none (docs/benchmarks.md, "Delivery"). So every change
-- to which records are disputed moves read_context_version, as changes to the context's other facts
-- do (migration 0021): raising an objection, moving it between states, and removing one. Objections
-- are few next to reads, so the kept contexts rarely go stale for them.
CREATE CONSTRAINT TRIGGER objections_read_context AFTER INSERT OR DELETE OR UPDATE OF dataset_id, record_key, status ON objections
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION read_context_changed();
CREATE TRIGGER objections_read_context_truncate AFTER TRUNCATE ON objections FOR EACH STATEMENT EXECUTE FUNCTION read_context_changed();
