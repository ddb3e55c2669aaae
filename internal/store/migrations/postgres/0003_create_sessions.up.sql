-- Server-side sessions: a token (JWT) is accepted only while its row exists and has not
-- expired. Times are Unix seconds, so both dialects compare them the same way.
CREATE TABLE "Sessions" (
  "id" VARCHAR(64) PRIMARY KEY,
  "userId" INTEGER NOT NULL REFERENCES "Users" ("id") ON DELETE CASCADE,
  "createdAt" BIGINT NOT NULL,
  "expiresAt" BIGINT NOT NULL,
  "lastSeenAt" BIGINT NOT NULL,
  "userAgent" VARCHAR(512) NOT NULL DEFAULT ''
);
CREATE INDEX "Sessions_userId" ON "Sessions" ("userId");
CREATE INDEX "Sessions_expiresAt" ON "Sessions" ("expiresAt");
