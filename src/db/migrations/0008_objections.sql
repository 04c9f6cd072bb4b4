-- Data objections (数据异议) and ratings (好差评). src/objections/ is the only writer.
--
-- An objection disputes one record (record_key set) or a whole dataset (record_key NULL). It is
-- routed to the dataset's provider and moves raised → accepted → resolved → closed; the raiser
-- may instead reopen a resolved objection once, which sends it back to accepted.
-- `deadline` is the deadline of the step in progress: to accept while raised, to resolve while
-- accepted. It keeps its last value once resolved, so "resolved late" is resolved_at > deadline.

CREATE TABLE objections (
  id                   text PRIMARY KEY,                           -- obj_…
  dataset_id           text NOT NULL REFERENCES datasets (id),
  provider_id          text NOT NULL REFERENCES organisations (id), -- the owning department
  raiser_org_id        text NOT NULL REFERENCES organisations (id),
  raised_by            text REFERENCES clients (id),
  record_key           text COLLATE "C",                           -- NULL: the dataset as a whole
  description          text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
  proposed_value       jsonb,                                      -- the value the raiser believes correct
  status               text NOT NULL CHECK (status IN ('raised', 'accepted', 'resolved', 'closed')),
  deadline             timestamptz NOT NULL,
  created_at           timestamptz NOT NULL,
  accepted_at          timestamptz,
  accepted_by          text REFERENCES clients (id),
  outcome              text CHECK (outcome IN ('corrected', 'rejected')),
  resolution_note      text CHECK (length(resolution_note) BETWEEN 1 AND 4000),
  correction_ingest_id text REFERENCES ingests (id),               -- the ingest that carried a correction
  resolved_at          timestamptz,
  resolved_by          text REFERENCES clients (id),
  closed_at            timestamptz,
  closed_by            text REFERENCES clients (id),
  reopened_at          timestamptz,                                -- set once: an objection reopens at most once
  reopened_by          text REFERENCES clients (id),
  reopen_reason        text CHECK (length(reopen_reason) BETWEEN 1 AND 4000),
  CHECK ((status IN ('raised')) = (accepted_at IS NULL)),
  CHECK ((status IN ('resolved', 'closed')) = (outcome IS NOT NULL)),
  CHECK ((outcome IS NULL) = (resolved_at IS NULL) AND (outcome IS NULL) = (resolution_note IS NULL)),
  CHECK (correction_ingest_id IS NULL OR outcome = 'corrected'),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
);
CREATE INDEX objections_raised ON objections (raiser_org_id, created_at DESC, id);
CREATE INDEX objections_incoming ON objections (provider_id, created_at DESC, id);
CREATE INDEX objections_dataset ON objections (dataset_id, created_at DESC, id);
-- Open objections with their deadlines, for lights and supervision.
CREATE INDEX objections_open ON objections (provider_id, deadline) WHERE status IN ('raised', 'accepted');
-- Disputed records: delivery flags a page of records with one lookup in this index.
CREATE INDEX objections_disputed ON objections (dataset_id, record_key)
  WHERE status IN ('raised', 'accepted') AND record_key IS NOT NULL;

-- Ratings (好差评) of how a provider handled something: an objection (by its raiser, when
-- closing it) or an access request (by the requesting organisation, once it was decided).
-- One rating per subject; ratings are never changed.
CREATE TABLE ratings (
  id              text PRIMARY KEY,                                -- rat_…
  subject_kind    text NOT NULL CHECK (subject_kind IN ('objection', 'access_request')),
  subject_id      text NOT NULL,
  provider_id     text NOT NULL REFERENCES organisations (id),     -- the organisation rated
  rater_org_id    text NOT NULL REFERENCES organisations (id),
  rated_by        text REFERENCES clients (id),
  score           smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         text CHECK (length(comment) BETWEEN 1 AND 2000),
  created_at      timestamptz NOT NULL,
  UNIQUE (subject_kind, subject_id)
);
CREATE INDEX ratings_provider ON ratings (provider_id, created_at);
