DROP TABLE "Users";
