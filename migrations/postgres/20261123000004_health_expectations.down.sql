ALTER TABLE services DROP COLUMN public;
ALTER TABLE health_endpoints DROP COLUMN expect;
