-- Standards published through POST /v1/standards. The shipped standards (schemas/) are not
-- stored: they ship with the code. A published version is immutable: nothing updates or
-- deletes these rows (src/standards/repository.ts has no such statement).

CREATE TABLE standards (
  name          text COLLATE "C" NOT NULL CHECK (name ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'),
  version       text NOT NULL CHECK (version ~ '^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$'),
  -- The version's parts, for semantic ordering ("latest", "latest of major 1") in SQL.
  major         integer NOT NULL CHECK (major >= 0),
  minor         integer NOT NULL CHECK (minor >= 0),
  patch         integer NOT NULL CHECK (patch >= 0),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  -- Derived from the schema at publication (highest field sensitivity); immutable like it.
  tier          text NOT NULL CHECK (tier IN ('L1', 'L2', 'L3', 'L4')),
  -- json, not jsonb: jsonb reorders object keys, and the order of `properties` is the order of
  -- the standard's fields (how they are described, listed and exported). Never queried into.
  schema        json NOT NULL,
  published_at  timestamptz NOT NULL,
  published_by  text REFERENCES clients (id),  -- NULL when published from the command line
  -- An admin confirmed that raised sensitivities were reviewed (grants and tiers re-assessed).
  sensitivity_reviewed boolean NOT NULL DEFAULT false,
  PRIMARY KEY (name, version),
  UNIQUE (name, major, minor, patch)
);
