-- A dataset's filter index is built in chunks of records, each its own short transaction under the
-- dataset's lock, so that building it for a large dataset neither holds the lock for one long
-- statement nor makes one ingest pay for it (src/catalog/record-index.ts).
--   indexed_fields  the fields whose rows are complete: the only ones filtered pages read (0015).
--   index_building  fields being built: writers keep their rows for the records they write, and
--                   every record whose key is at most index_built_to has its rows.
--   index_dropping  fields no longer indexed whose rows are being deleted; writers leave them be.
--                   A field wanted again is built again once its old rows are gone.
ALTER TABLE datasets ADD COLUMN index_building text[] NOT NULL DEFAULT '{}';
ALTER TABLE datasets ADD COLUMN index_built_to text COLLATE "C";
ALTER TABLE datasets ADD COLUMN index_dropping text[] NOT NULL DEFAULT '{}';
