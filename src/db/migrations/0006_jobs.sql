-- Scheduled jobs (src/jobs): one row per job. A run is claimed by an atomic UPDATE on this row,
-- so with several gateway processes or Worker isolates only one runs each job per interval.
CREATE TABLE job_runs (
  name          text PRIMARY KEY,
  claimed_at    timestamptz,
  claimed_by    text,
  finished_at   timestamptz,
  last_status   text CHECK (last_status IN ('ok', 'failed')),
  last_detail   text,
  runs          bigint NOT NULL DEFAULT 0
);
