ALTER TABLE "Users" DROP COLUMN "disabledAt";
