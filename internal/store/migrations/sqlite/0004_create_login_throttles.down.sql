DROP TABLE "LoginThrottles";
