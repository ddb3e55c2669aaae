-- An account's authenticator-app secret (TOTP, RFC 6238). "secret" is sealed with
-- AES-256-GCM under the ENCRYPTION_KEY named by "keyId" (so keys can rotate), bound to the
-- account; a copy of the database without the key reveals no secret. "confirmedAt" is NULL
-- while an enrolment waits for its first code: only a confirmed secret is a second factor.
-- "lastStep" is the last 30-second step whose code was accepted: a code is accepted only
-- for a later step, by one conditional UPDATE, so a code works once across instances.
CREATE TABLE "TotpFactors" (
  "userId" INTEGER PRIMARY KEY REFERENCES "Users" ("id") ON DELETE CASCADE,
  "secret" TEXT NOT NULL,
  "keyId" VARCHAR(32) NOT NULL,
  "createdAt" BIGINT NOT NULL,
  "confirmedAt" BIGINT NULL,
  "lastStep" BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes: only the SHA-256 of each is kept (a code carries 120 random
-- bits, so a fast hash is enough). Using one deletes its row.
CREATE TABLE "RecoveryCodes" (
  "hash" VARCHAR(64) PRIMARY KEY,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "createdAt" BIGINT NOT NULL
);
CREATE INDEX "RecoveryCodes_userId" ON "RecoveryCodes" ("userId");

-- Log-ins whose first factor was right and whose second factor is still to come. "hash" is
-- the SHA-256 of the token in the client's HttpOnly cookie; the row is spent (deleted)
-- by the log-in it finishes, and ends after 5 wrong codes or at "expiresAt". "method" is
-- the first factor (password, or a passkey without user verification).
CREATE TABLE "PendingLogins" (
  "hash" VARCHAR(64) PRIMARY KEY,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "method" VARCHAR(16) NOT NULL DEFAULT 'password',
  "createdAt" BIGINT NOT NULL,
  "expiresAt" BIGINT NOT NULL,
  "failures" INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX "PendingLogins_userId" ON "PendingLogins" ("userId");
CREATE INDEX "PendingLogins_expiresAt" ON "PendingLogins" ("expiresAt");
