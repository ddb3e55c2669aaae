DROP TABLE "AddressThrottles";
