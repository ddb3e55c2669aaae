DROP TABLE "Outbox";
