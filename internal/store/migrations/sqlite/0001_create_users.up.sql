-- The seed's create-user migration, as sequelize-cli makes it on SQLite.
CREATE TABLE "Users" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "username" VARCHAR(30) NOT NULL UNIQUE,
  "email" VARCHAR(256) NOT NULL UNIQUE,
  "hashedPassword" VARCHAR BINARY(255) NOT NULL,
  "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
