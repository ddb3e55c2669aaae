-- When the account's email address was last proven to be its owner's (Unix seconds),
-- or NULL: never, as for every account the Express app or a seed inserts.
ALTER TABLE "Users" ADD COLUMN "emailVerifiedAt" BIGINT NULL;

-- Tokens mailed to an account's owner: password reset, email verification, change of
-- email and its undo. Only the SHA-256 of a token is kept; the token itself exists in
-- the mail alone. "email" is the address the token is about (the new one for a change,
-- the old one for an undo); "stamp" binds the token to the account as it was when the
-- token was made (its email and password hash), so a change to either voids it.
CREATE TABLE "AccountTokens" (
  "hash" VARCHAR(64) PRIMARY KEY,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "purpose" VARCHAR(20) NOT NULL,
  "email" VARCHAR(256) NOT NULL DEFAULT '',
  "stamp" VARCHAR(64) NOT NULL DEFAULT '',
  "createdAt" BIGINT NOT NULL,
  "expiresAt" BIGINT NOT NULL
);
CREATE INDEX "AccountTokens_userId_purpose" ON "AccountTokens" ("userId", "purpose");
CREATE INDEX "AccountTokens_expiresAt" ON "AccountTokens" ("expiresAt");
