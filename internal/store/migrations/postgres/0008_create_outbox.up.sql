-- placeholder until the outbox branch lands (lead's local copy of the plan's table)
CREATE TABLE "Outbox" (
  "id" BIGSERIAL PRIMARY KEY,
  "kind" VARCHAR(40) NOT NULL,
  "userId" INTEGER NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "email" VARCHAR(256) NOT NULL DEFAULT '',
  "data" TEXT NOT NULL DEFAULT '{}',
  "createdAt" BIGINT NOT NULL,
  "notBefore" BIGINT NOT NULL,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "lockedUntil" BIGINT NOT NULL DEFAULT 0,
  "sentAt" BIGINT NULL,
  "failedAt" BIGINT NULL,
  "lastError" VARCHAR(500) NOT NULL DEFAULT ''
);
