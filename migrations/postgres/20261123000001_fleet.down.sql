DROP TABLE health_endpoints;
DROP TABLE service_tags;
DROP TABLE services;
