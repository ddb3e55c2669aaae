DROP TABLE "SecurityEvents";
