-- A token bucket per client address on the credential endpoints, shared by every
-- instance. "key" is "a:<IPv4 address>" or "a:<IPv6 prefix>/<length>"; "tokens" is what
-- was left at "updatedAt" (Unix milliseconds); the refill since then is computed by the
-- one statement that takes a token. Rows idle long enough to be full again are purged.
CREATE TABLE "AddressThrottles" (
  "key" VARCHAR(64) PRIMARY KEY,
  "tokens" DOUBLE PRECISION NOT NULL,
  "updatedAt" BIGINT NOT NULL
);
CREATE INDEX "AddressThrottles_updatedAt" ON "AddressThrottles" ("updatedAt");
