-- The exchange: access requests (共享申请), the grants they produce, and each grant's daily
-- usage counter. src/exchange/ is the only writer.

CREATE TABLE access_requests (
  id              text PRIMARY KEY,
  dataset_id      text NOT NULL REFERENCES datasets (id),
  provider_id     text NOT NULL REFERENCES organisations (id),
  consumer_org_id text NOT NULL REFERENCES organisations (id),
  requested_by    text REFERENCES clients (id),
  purpose         text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
  legal_basis     text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 2000),
  fields          text[] NOT NULL,
  duration_days   integer NOT NULL CHECK (duration_days BETWEEN 1 AND 3660),
  mode            text NOT NULL,          -- the access mode the policy gave when it was made
  status          text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'expired')),
  deadline        timestamptz NOT NULL,   -- decide by then (working days); overdue after
  expires_at      timestamptz NOT NULL,   -- undecided by then: expired
  created_at      timestamptz NOT NULL,
  decided_at      timestamptz,
  decided_by      text REFERENCES clients (id),
  reason          text,
  grant_id        text
);
CREATE INDEX access_requests_outgoing ON access_requests (consumer_org_id, created_at DESC, id);
CREATE INDEX access_requests_incoming ON access_requests (provider_id, created_at DESC, id);
CREATE INDEX access_requests_pending ON access_requests (expires_at) WHERE status = 'pending';

CREATE TABLE grants (
  id              text PRIMARY KEY,
  dataset_id      text NOT NULL REFERENCES datasets (id),
  provider_id     text NOT NULL REFERENCES organisations (id),
  consumer_org_id text NOT NULL REFERENCES organisations (id),
  request_id      text NOT NULL REFERENCES access_requests (id),
  purpose         text NOT NULL,
  mode            text NOT NULL,
  fields          text[] NOT NULL,
  masks           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(masks) = 'object'),
  row_filter      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(row_filter) = 'array'),
  daily_quota     integer CHECK (daily_quota > 0),
  expires_at      timestamptz,
  status          text NOT NULL CHECK (status IN ('active', 'revoked')),
  hash_key        bytea NOT NULL,         -- HMAC key of this grant's hash masks
  created_at      timestamptz NOT NULL,
  created_by      text REFERENCES clients (id),  -- NULL: granted directly by the policy
  revoked_at      timestamptz,
  revoked_by      text REFERENCES clients (id),
  revoke_reason   text
);
CREATE INDEX grants_consumer ON grants (consumer_org_id, dataset_id, status);
CREATE INDEX grants_provider ON grants (provider_id, created_at DESC, id);

-- Records (or requests) served under a grant per day in China (Asia/Shanghai). One row per grant
-- and day, bumped by one conditional upsert per read: the quota holds across processes.
CREATE TABLE grant_usage (
  grant_id text NOT NULL REFERENCES grants (id),
  day      date NOT NULL,
  used     integer NOT NULL CHECK (used >= 0),
  PRIMARY KEY (grant_id, day)
);
