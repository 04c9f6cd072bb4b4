-- The tier policy matrix admins set (PUT /v1/policy/tiers); src/exchange/ is the only writer.
-- One row, always present, so that a change can lock it (SELECT … FOR UPDATE) and audit the
-- matrix it replaces. matrix NULL means the defaults in src/exchange/policy.ts apply; its
-- history is in the audit log (before and after of every change).

CREATE TABLE tier_policy (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  matrix     jsonb CHECK (matrix IS NULL OR jsonb_typeof(matrix) = 'object'),
  updated_at timestamptz,
  updated_by text REFERENCES clients (id)    -- NULL for the defaults and for command-line changes
);
INSERT INTO tier_policy (singleton) VALUES (true);
