-- Log-in attempts in flight per throttle key. An attempt is reserved (counted here)
-- before any password is hashed, in the same statement that checks the key, so
-- concurrent guesses cannot all pass a check that reads the count before any of them
-- has failed. "inflightAt" is when the last reservation was made: reservations older
-- than a lease are forgotten, so an instance that dies mid-attempt cannot hold a key.
ALTER TABLE "LoginThrottles" ADD COLUMN "inflight" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "LoginThrottles" ADD COLUMN "inflightAt" BIGINT NOT NULL DEFAULT 0;
