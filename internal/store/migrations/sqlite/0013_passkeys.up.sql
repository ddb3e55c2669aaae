-- Passkeys (WebAuthn credentials) an account registered. "id" is authme's own name for one
-- in the API (random); "credentialId" is the authenticator's (base64url), unique across
-- accounts; "credential" is the verified credential as go-webauthn keeps it (public key,
-- flags, transports, AAGUID, signature counter) in JSON. No secret is here: a passkey's
-- private key never leaves the authenticator. Its times are Unix milliseconds, so the
-- list keeps the order passkeys were added in, even within one second.
CREATE TABLE "Passkeys" (
  "id" VARCHAR(32) PRIMARY KEY,
  "credentialId" VARCHAR(1400) NOT NULL UNIQUE,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "name" VARCHAR(64) NOT NULL,
  "credential" TEXT NOT NULL,
  "createdAt" BIGINT NOT NULL,
  "lastUsedAt" BIGINT NULL
);
CREATE INDEX "Passkeys_userId" ON "Passkeys" ("userId");

-- WebAuthn ceremonies begun and not yet finished: registration (an account's) or log-in
-- (nobody's yet). Keyed by the SHA-256 of the challenge, which is not stored: the
-- finishing request brings it back inside the authenticator's signed answer, and spends
-- the row (DELETE ... RETURNING), so a challenge works once, on any instance.
CREATE TABLE "WebAuthnChallenges" (
  "hash" VARCHAR(64) PRIMARY KEY,
  "purpose" VARCHAR(16) NOT NULL,
  "userId" INTEGER NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "session" TEXT NOT NULL,
  "createdAt" BIGINT NOT NULL,
  "expiresAt" BIGINT NOT NULL
);
CREATE INDEX "WebAuthnChallenges_expiresAt" ON "WebAuthnChallenges" ("expiresAt");
CREATE INDEX "WebAuthnChallenges_userId" ON "WebAuthnChallenges" ("userId");
