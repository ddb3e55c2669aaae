DROP TABLE "Sessions";
