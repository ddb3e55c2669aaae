-- Mail waiting to be sent, written in the same transaction as what it reports (a sign-up,
-- an email change...), so a mail is never lost to a crash or a mail server that is down.
-- A row is an intent: the sender mints any token when it delivers, so no plaintext token
-- is ever at rest. Times are Unix milliseconds. A sender claims a row by setting
-- "lockedUntil" (its lease) and counting the attempt; a row whose lease ran out (its
-- sender died) can be claimed again. Exactly one of "sentAt", "failedAt", "droppedAt" is
-- set once the row is done; done rows are purged after a week.
CREATE TABLE "Outbox" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
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
  "droppedAt" BIGINT NULL,
  "lastError" VARCHAR(500) NOT NULL DEFAULT ''
);
CREATE INDEX "Outbox_pending" ON "Outbox" ("notBefore", "id")
  WHERE "sentAt" IS NULL AND "failedAt" IS NULL AND "droppedAt" IS NULL;
CREATE INDEX "Outbox_userId" ON "Outbox" ("userId");
