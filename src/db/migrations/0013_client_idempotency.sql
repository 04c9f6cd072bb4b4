-- Issuing a client credential is not safe to repeat: each call makes another client. A caller
-- that may retry (a console page reloaded after its POST, an API client after a timeout) sends an
-- Idempotency-Key; a second issue with the same key for the same organisation makes nothing and
-- answers 409 with the client the first one made (its secret was shown once, and is not stored).
ALTER TABLE clients ADD COLUMN idempotency_key text CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX clients_idempotency ON clients (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
