DROP INDEX "Users_usernameKey_missing";
DROP INDEX "Users_usernameKey_key";
ALTER TABLE "Users" DROP COLUMN "usernameKey";
