-- Where each dependency's version in use came from (lock, pin, range-only,
-- unknown), which lock file, and which workspace root sets it; rows from
-- before were not told, so they say unknown until the next refresh. Snapshots count the dependencies
-- measured from a range alone apart from those known to be up to date.
ALTER TABLE drift_dependencies ADD COLUMN version_source TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE drift_dependencies ADD COLUMN lock_file TEXT;
-- A Cargo member's dependency whose version the workspace root sets.
ALTER TABLE drift_dependencies ADD COLUMN inherited_from TEXT;
ALTER TABLE drift_snapshots ADD COLUMN range_only BIGINT NOT NULL DEFAULT 0;
