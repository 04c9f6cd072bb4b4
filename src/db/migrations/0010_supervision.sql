-- Supervision (src/supervision): reads served, summed from the audit log so that GET
-- /v1/supervision never scans it. The refresh-supervision job folds the entries after the
-- watermark (supervision_state.reads_through_seq) into these sums; a query adds the few entries
-- after the watermark itself. Audit sequence numbers become visible in order (each append holds
-- the chain lock until it commits), so everything up to the watermark is summed exactly once.
-- Only allowed reads by someone other than the dataset's owner count; src/supervision/ is the
-- only writer.

CREATE TABLE supervision_reads_daily (
  day             date NOT NULL,               -- the day of the read in China (UTC+08:00)
  provider_id     text NOT NULL,               -- the dataset's owning department
  consumer_org_id text NOT NULL,               -- 'anonymous' for public reads without a token
  consumer_kind   text NOT NULL CHECK (consumer_kind IN ('department', 'social_org', 'platform', 'anonymous')),
  purpose         text NOT NULL,               -- '' when none was stated
  reads           bigint NOT NULL,
  records         bigint NOT NULL,             -- records delivered (aggregate answers count as reads only)
  PRIMARY KEY (day, provider_id, consumer_org_id, purpose)
);

-- The same sums over all time: what an unbounded report reads (one row per provider, consumer
-- and purpose, however many days).
CREATE TABLE supervision_reads_total (
  provider_id     text NOT NULL,
  consumer_org_id text NOT NULL,
  consumer_kind   text NOT NULL CHECK (consumer_kind IN ('department', 'social_org', 'platform', 'anonymous')),
  purpose         text NOT NULL,
  reads           bigint NOT NULL,
  records         bigint NOT NULL,
  PRIMARY KEY (provider_id, consumer_org_id, purpose)
);
CREATE INDEX supervision_reads_total_consumer ON supervision_reads_total (consumer_org_id);

CREATE TABLE supervision_state (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  reads_through_seq bigint NOT NULL DEFAULT 0,  -- audit entries up to this seq are in the sums
  refreshed_at      timestamptz
);
INSERT INTO supervision_state (singleton) VALUES (true);

-- Figures over a period (?from=&to=) without scanning whole tables.
CREATE INDEX ingests_started ON ingests (started_at);
CREATE INDEX access_requests_decided ON access_requests (decided_at) WHERE decided_at IS NOT NULL;
CREATE INDEX dataset_tier_changes_overrides ON dataset_tier_changes (at) WHERE cause = 'override';
