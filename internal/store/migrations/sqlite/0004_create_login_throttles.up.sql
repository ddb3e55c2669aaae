-- Failed log-ins per account (or per unknown credential), shared by every instance.
-- "key" is "u:<user id>" for an account and "c:<lowercased credential>" otherwise, so
-- unknown names are throttled exactly like real ones. Times are Unix seconds.
CREATE TABLE "LoginThrottles" (
  "key" VARCHAR(300) PRIMARY KEY,
  "failures" INTEGER NOT NULL,
  "blockedUntil" BIGINT NOT NULL DEFAULT 0,
  "updatedAt" BIGINT NOT NULL
);
CREATE INDEX "LoginThrottles_updatedAt" ON "LoginThrottles" ("updatedAt");
