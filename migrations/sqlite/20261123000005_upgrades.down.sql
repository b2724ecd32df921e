DROP TABLE upgrade_prs;
DROP TABLE upgrade_waves;
DROP TABLE upgrade_run_events;
DROP TABLE upgrade_runs;
