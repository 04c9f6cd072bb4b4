-- Signed tree heads over the audit log (docs/audit-algorithm.md): one row per checkpoint.
CREATE TABLE audit_checkpoints (
  size        bigint PRIMARY KEY,
  root_hash   text NOT NULL,
  chain_head  text NOT NULL,
  at          timestamptz NOT NULL,
  kid         text NOT NULL,
  jws         text NOT NULL
);

-- Filters used by GET /v1/audit.
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_actor_client ON audit_log (actor_client_id, seq);
