-- The catalogue (政务信息资源目录): datasets registered against a standard version, the history
-- of their tier, their records (current version, superseded versions, tombstones) and every
-- ingest with its counts and idempotency key. src/catalog/ is the only writer.

CREATE TABLE datasets (
  id                   text PRIMARY KEY,
  -- Resource code (信息资源代码): the dataset's identifier in the catalogue; never changes.
  code                 text COLLATE "C" NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z./_-]{0,63}$'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  abstract             text NOT NULL CHECK (length(abstract) BETWEEN 1 AND 4000),
  provider_id          text NOT NULL REFERENCES organisations (id),
  standard_name        text NOT NULL,
  standard_version     text NOT NULL,
  key_field            text NOT NULL,
  format               text NOT NULL CHECK (format IN ('database', 'spreadsheet', 'document', 'image', 'stream', 'structured_file', 'api')),
  sharing              text NOT NULL CHECK (sharing IN ('unconditional', 'conditional', 'none')),
  sharing_conditions   text,
  legal_basis          text,
  open                 text NOT NULL CHECK (open IN ('unconditional', 'conditional', 'none')),
  open_conditions      text,
  update_cycle         text NOT NULL CHECK (update_cycle IN ('realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly', 'irregular')),
  published_on         date NOT NULL,
  related_codes        text[] NOT NULL DEFAULT '{}',
  -- The highest sensitivity of the standard version's fields (就高从严), and the tier in force:
  -- the admin's override when there is one, the computed tier otherwise.
  computed_tier        text NOT NULL CHECK (computed_tier IN ('L1', 'L2', 'L3', 'L4')),
  tier                 text NOT NULL CHECK (tier IN ('L1', 'L2', 'L3', 'L4')),
  tier_override_reason text,
  tier_overridden_by   text REFERENCES clients (id),
  tier_overridden_at   timestamptz,
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  created_by           text REFERENCES clients (id),  -- NULL when registered from the command line
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  retired_at           timestamptz,
  -- Conformance, kept up to date by each ingest and tombstone in its own transaction.
  record_count         bigint NOT NULL DEFAULT 0,     -- live records (tombstones excluded)
  ingests_stored       integer NOT NULL DEFAULT 0,
  ingests_refused      integer NOT NULL DEFAULT 0,    -- atomic batches refused for invalid rows
  rows_received        bigint NOT NULL DEFAULT 0,
  rows_rejected        bigint NOT NULL DEFAULT 0,
  last_ingest_at       timestamptz,
  CHECK (sharing = 'unconditional' OR legal_basis IS NOT NULL),
  CHECK (sharing <> 'conditional' OR sharing_conditions IS NOT NULL),
  CHECK (open <> 'conditional' OR open_conditions IS NOT NULL),
  CHECK ((tier_overridden_at IS NULL) = (tier_override_reason IS NULL)),
  CHECK (tier_overridden_at IS NOT NULL OR tier = computed_tier),
  CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE INDEX datasets_provider ON datasets (provider_id, code);
CREATE INDEX datasets_standard ON datasets (standard_name, standard_version);

-- Every change of a dataset's tier, for supervision: at registration, when its standard version
-- changes, and each admin override (a lowering below the computed tier is what gets flagged).
CREATE TABLE dataset_tier_changes (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dataset_id       text NOT NULL REFERENCES datasets (id),
  at               timestamptz NOT NULL,
  cause            text NOT NULL CHECK (cause IN ('registered', 'standard_changed', 'override')),
  standard_version text NOT NULL,
  computed_tier    text NOT NULL,
  tier_before      text,
  tier_after       text NOT NULL,
  reason           text,
  actor_client_id  text
);
CREATE INDEX dataset_tier_changes_dataset ON dataset_tier_changes (dataset_id, id);

-- One row per ingest (a batch of records). A stored batch commits its row with its records; a
-- refused atomic batch is recorded after its rollback. The response is kept so that a retry with
-- the same Idempotency-Key gets the same answer without storing anything twice.
CREATE TABLE ingests (
  id               text PRIMARY KEY,
  dataset_id       text NOT NULL REFERENCES datasets (id),
  idempotency_key  text,
  -- What a retry with the same key must repeat: mode, unknown-column handling, media type.
  fingerprint      text NOT NULL,
  mode             text NOT NULL CHECK (mode IN ('atomic', 'partial')),
  -- NULL only while the batch runs, which no other transaction can see.
  outcome          text CHECK (outcome IN ('stored', 'refused')),
  standard_version text NOT NULL,
  total            bigint NOT NULL DEFAULT 0,
  inserted         bigint NOT NULL DEFAULT 0,
  updated          bigint NOT NULL DEFAULT 0,
  unchanged        bigint NOT NULL DEFAULT 0,
  rejected         bigint NOT NULL DEFAULT 0,
  status_code      integer,
  response         jsonb,
  actor_client_id  text,
  request_id       text,
  started_at       timestamptz NOT NULL,
  finished_at      timestamptz
);
CREATE UNIQUE INDEX ingests_idempotency ON ingests (dataset_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ingests_dataset ON ingests (dataset_id, started_at);

-- The current version of each record, standardised, keyed by the dataset's key field. A
-- tombstone keeps its row (deleted_at set); writing the key again brings it back.
-- No foreign key to datasets: datasets are never deleted (only retired), rows are only written
-- under a lock on their dataset row, and a per-row key check would slow bulk ingest.
CREATE TABLE records (
  dataset_id text NOT NULL,
  key        text COLLATE "C" NOT NULL,
  data       jsonb NOT NULL,
  version    integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  ingest_id  text,                -- the batch that wrote this version
  PRIMARY KEY (dataset_id, key)
);

-- Superseded versions: each time a record changes (or a tombstone is written over), the version
-- it replaces is copied here by the same statement.
CREATE TABLE record_versions (
  dataset_id    text NOT NULL,
  key           text COLLATE "C" NOT NULL,
  version       integer NOT NULL,
  data          jsonb NOT NULL,
  written_at    timestamptz NOT NULL,   -- the version's updated_at
  deleted_at    timestamptz,            -- set when the version was a tombstone
  ingest_id     text,
  superseded_at timestamptz NOT NULL,
  PRIMARY KEY (dataset_id, key, version)
);
