-- When an operator disabled the account (Unix seconds), or NULL: it is enabled. Session
-- restores join on it, so a disabled account's tokens stop working on every instance at
-- once, and a log-in with the right password is refused.
ALTER TABLE "Users" ADD COLUMN "disabledAt" BIGINT NULL;
