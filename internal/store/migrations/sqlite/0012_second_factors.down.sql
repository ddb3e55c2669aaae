DROP TABLE "PendingLogins";
DROP TABLE "RecoveryCodes";
DROP TABLE "TotpFactors";
