-- Identity: organisations, their API clients, Qiao's signing keys; and the audit log every
-- change is recorded in (src/audit/recorder.ts is the only writer).

CREATE TABLE organisations (
  id            text PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('department', 'social_org', 'platform')),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  level         text CHECK (level IN ('province', 'city', 'county', 'township')),
  region_code   text CHECK (region_code ~ '^[0-9]{6}$'),
  parent_id     text REFERENCES organisations (id),
  uscc          text,
  uscc_reviewed boolean NOT NULL DEFAULT false,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  suspended_at  timestamptz,
  CHECK (kind <> 'department' OR (level IS NOT NULL AND region_code IS NOT NULL)),
  CHECK (kind <> 'social_org' OR uscc IS NOT NULL)
);
CREATE UNIQUE INDEX organisations_one_platform ON organisations (kind) WHERE kind = 'platform';
CREATE UNIQUE INDEX organisations_uscc ON organisations (uscc) WHERE uscc IS NOT NULL;

CREATE TABLE clients (
  id           text PRIMARY KEY,          -- cli_…, also the OAuth client_id
  org_id       text NOT NULL REFERENCES organisations (id),
  name         text NOT NULL,
  roles        text[] NOT NULL,
  secret_hash  text NOT NULL,             -- pbkdf2-sha256$iterations$salt$hash, never the secret
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
CREATE INDEX clients_org ON clients (org_id);

CREATE TABLE signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL,
  public_jwk   jsonb NOT NULL,
  private_jwk  jsonb,                     -- NULL for keys supplied by configuration
  status       text NOT NULL CHECK (status IN ('active', 'retiring', 'retired')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  retire_after timestamptz                -- a retiring key verifies until its last token expires
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';

-- One global hash chain (docs/audit-algorithm.md). `content` is the canonical entry; the
-- columns beside it are copies for querying and indexes.
CREATE TABLE audit_log (
  seq          bigint PRIMARY KEY,
  at           timestamptz NOT NULL,
  action       text NOT NULL,
  actor_client_id text,
  actor_org_id text,
  resource_type text,
  resource_id  text,
  dataset_id   text,
  decision     text,
  content      jsonb NOT NULL,
  prev_hash    text NOT NULL,
  hash         text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor_org ON audit_log (actor_org_id, seq);
CREATE INDEX audit_log_dataset ON audit_log (dataset_id, seq) WHERE dataset_id IS NOT NULL;
