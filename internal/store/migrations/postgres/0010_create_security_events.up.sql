-- The account's security history: sign-ups, log-ins (failed and throttled ones
-- aggregated per minute, with "count"), log-outs, password and email changes, sessions
-- ended, operator actions. Written in the same transaction as what each row records.
-- "at" is Unix milliseconds; rows older than EVENT_RETENTION are purged by "at".
-- "sessionId" is the session the event started or came from (never a token);
-- "detail" is a JSON object of strings.
CREATE TABLE "SecurityEvents" (
  "id" BIGSERIAL PRIMARY KEY,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "kind" VARCHAR(40) NOT NULL,
  "at" BIGINT NOT NULL,
  "address" VARCHAR(64) NOT NULL DEFAULT '',
  "userAgent" VARCHAR(512) NOT NULL DEFAULT '',
  "sessionId" VARCHAR(64) NOT NULL DEFAULT '',
  "count" INTEGER NOT NULL DEFAULT 1,
  "detail" TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX "SecurityEvents_userId_id" ON "SecurityEvents" ("userId", "id");
CREATE INDEX "SecurityEvents_at" ON "SecurityEvents" ("at");
-- Failed and throttled log-ins are one row per (user, kind, address) per minute, "at"
-- the minute's start: this index lets every instance add to that row in one statement.
CREATE UNIQUE INDEX "SecurityEvents_aggregated" ON "SecurityEvents" ("userId", "kind", "address", "at")
  WHERE "kind" IN ('login-failed', 'login-throttled');
