ALTER TABLE drift_snapshots DROP COLUMN range_only;
ALTER TABLE drift_dependencies DROP COLUMN inherited_from;
ALTER TABLE drift_dependencies DROP COLUMN lock_file;
ALTER TABLE drift_dependencies DROP COLUMN version_source;
