-- Failed client authentications per client id and per source address, in fixed windows: the brake
-- on the token endpoint and the console's sign-in (src/identity/failure-limiter.ts). Kept in the database
-- so that the bound holds for the whole fleet (every Node process, every Worker isolate), not per
-- process. The prune-auth-failures job deletes windows that have ended.
CREATE TABLE auth_failures (
  key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL CHECK (failures > 0)
);
CREATE INDEX auth_failures_window ON auth_failures (window_start);
