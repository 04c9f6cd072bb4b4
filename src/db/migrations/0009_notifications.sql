-- Notifications out (src/notify): each organisation's webhook, the outbox of events Qiao emits
-- (written in the transaction of the change they report), and the delivery queue with a row per
-- attempt. src/notify/ is the only writer.

-- One webhook per organisation. The secret is stored as issued: signing needs it (HMAC), so it
-- cannot be hashed the way client secrets are; it is answered once, when set, and never again.
CREATE TABLE webhooks (
  org_id      text PRIMARY KEY REFERENCES organisations (id),
  url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
  secret      text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  text REFERENCES clients (id)   -- NULL when set from the command line
);

-- The outbox: every event, kept whether or not its organisation has a webhook.
CREATE TABLE events (
  id          text PRIMARY KEY,              -- evt_…
  type        text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  org_id      text NOT NULL REFERENCES organisations (id),
  subject_id  text NOT NULL,
  payload     jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  created_at  timestamptz NOT NULL
);
CREATE INDEX events_org ON events (org_id, created_at, id);
CREATE INDEX events_subject ON events (subject_id, created_at);

-- One row per event to deliver (the organisation had an active webhook when it was emitted).
-- `pending` rows are due at next_attempt_at; the job claims them with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         text NOT NULL UNIQUE REFERENCES events (id),
  org_id           text NOT NULL REFERENCES organisations (id),
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz,             -- NULL once delivered or failed
  last_http_status integer,
  last_error       text,
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, id DESC);

-- The delivery log: every attempt, what was sent where and what came back.
CREATE TABLE webhook_attempts (
  delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id),
  attempt      integer NOT NULL CHECK (attempt >= 1),
  at           timestamptz NOT NULL,
  url          text NOT NULL,
  http_status  integer,                     -- NULL when no response came (timeout, refused)
  error        text,                        -- NULL for a 2xx
  duration_ms  integer NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);

-- Overdue ("red") is announced once: set when the access_request.overdue event is emitted.
ALTER TABLE access_requests ADD COLUMN overdue_notified_at timestamptz;
CREATE INDEX access_requests_overdue_due ON access_requests (deadline) WHERE status = 'pending' AND overdue_notified_at IS NULL;
-- An objection's deadline moves with its step (accept, then resolve), and each step can turn
-- red: the deadline last announced is kept, so each one is announced once.
ALTER TABLE objections ADD COLUMN overdue_notified_deadline timestamptz;
CREATE INDEX objections_open_deadline ON objections (deadline) WHERE status IN ('raised', 'accepted');
