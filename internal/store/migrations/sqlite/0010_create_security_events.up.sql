-- Placeholder for the events branch's 0010 (it replaces this file): the security events
-- of each account, newest last. "at" is Unix milliseconds.
CREATE TABLE "SecurityEvents" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
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
