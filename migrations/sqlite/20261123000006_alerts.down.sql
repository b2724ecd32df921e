DROP TABLE delivery_targets;
DROP TABLE deliveries;
DROP TABLE subscriptions;
DROP TABLE silences;
DROP TABLE alerts;
ALTER TABLE health_status DROP COLUMN failing_checks;
DROP TABLE events;
