DROP TABLE health_incidents;
DROP TABLE health_transitions;
DROP TABLE health_status;
DROP TABLE health_rollup_marks;
DROP TABLE health_rollups;
DROP TABLE health_results;
