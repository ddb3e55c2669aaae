DROP TABLE "AccountTokens";
ALTER TABLE "Users" DROP COLUMN "emailVerifiedAt";
