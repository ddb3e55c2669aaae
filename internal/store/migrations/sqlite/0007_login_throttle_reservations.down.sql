ALTER TABLE "LoginThrottles" DROP COLUMN "inflightAt";
ALTER TABLE "LoginThrottles" DROP COLUMN "inflight";
