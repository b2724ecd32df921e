DROP TABLE drift_refreshes;
DROP TABLE drift_dependencies;
DROP TABLE drift_snapshots;
