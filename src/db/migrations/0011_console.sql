-- The web console's sign-in sessions (src/console/ is the only writer). The cookie carries a
-- random session id; only its SHA-256 is stored, so a copy of this table signs nobody in.

CREATE TABLE console_sessions (
  id_hash          text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
  client_id        text NOT NULL REFERENCES clients (id),
  org_id           text NOT NULL REFERENCES organisations (id),
  org_kind         text NOT NULL CHECK (org_kind IN ('department', 'social_org', 'platform')),
  roles            text[] NOT NULL,
  csrf_token       text NOT NULL,          -- the synchronizer token every form of the session carries
  created_at       timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  idle_expires_at  timestamptz NOT NULL,   -- pushed forward by use, never past expires_at
  expires_at       timestamptz NOT NULL,   -- absolute: sign in again after this
  revoked_at       timestamptz             -- signed out
);
CREATE INDEX console_sessions_client ON console_sessions (client_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
