-- The seed's create-user migration, as sequelize-cli makes it on PostgreSQL
-- (STRING.BINARY is BYTEA there).
CREATE TABLE "Users" (
  "id" SERIAL PRIMARY KEY,
  "username" VARCHAR(30) NOT NULL UNIQUE,
  "email" VARCHAR(256) NOT NULL UNIQUE,
  "hashedPassword" BYTEA NOT NULL,
  "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
