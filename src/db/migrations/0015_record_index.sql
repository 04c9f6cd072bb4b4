-- Consumers filter records (?filter=) on the fields their standard marks x-indexed. Each such
-- field's value is kept here, one row per record and field, by the statement that writes the
-- record (src/catalog/records-repository.ts upsertChunk); a filtered page reads the matching keys
-- from this index in key order instead of walking the dataset. Rows of tombstoned records stay
-- (the page joins the live record); a changed value replaces its row.
CREATE TABLE record_index (
  dataset_id text NOT NULL,
  field      text NOT NULL,
  value      text COLLATE "C" NOT NULL,
  key        text COLLATE "C" NOT NULL,
  PRIMARY KEY (dataset_id, field, value, key)
);

-- The fields whose rows are complete for the dataset, sorted. A page uses the index only for these
-- and otherwise filters the dataset's records as before, so answers never depend on it. An ingest
-- completes the index for its dataset's standard under the dataset's lock before it writes; the
-- index-records job does the same for datasets no ingest touched (records stored before a standard
-- marked a field, or before this migration).
ALTER TABLE datasets ADD COLUMN indexed_fields text[] NOT NULL DEFAULT '{}';
