-- A PostgreSQL database made by the Express authenticate-me reference app in production
-- mode (NODE_ENV=production, DATABASE_URL, SCHEMA=authenticate_me): the statements
-- sequelize-cli 6.6.5 / sequelize 6.37.8 logged for `npm run build`, `sequelize db:migrate`
-- and `sequelize db:seed:all`, in order, with logging turned on in config/database.js.
-- Changed from the log: names are not schema-qualified ("authenticate_me"."Users" is
-- "Users"), so the file lands in whatever schema search_path names (the test creates one);
-- rows 1-3 carry the `$2a$` bcryptjs hashes of the SQLite fixture; row 4 is the SQLite
-- fixture's sign-up (made through the running app's POST /api/users), written in the shape
-- of sequelize's Model.create INSERT with the values inlined.
-- As sequelize does, the hash text is given as a plain literal for the BYTEA column, so the
-- column holds the hash's ASCII bytes. Passwords: password, password2, password3,
-- signup-password.
CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"));
CREATE TABLE IF NOT EXISTS "Users" ("id"   SERIAL , "username" VARCHAR(30) NOT NULL UNIQUE, "email" VARCHAR(256) NOT NULL UNIQUE, "hashedPassword" BYTEA NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("id"));
INSERT INTO "SequelizeMeta" ("name") VALUES ('20261126044920-create-user.js') RETURNING "name";
CREATE TABLE IF NOT EXISTS "SequelizeData" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"));
INSERT INTO "Users" ("email","username","hashedPassword") VALUES ('demo@user.io','Demo-lition','$2a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G'),('user1@user.io','FakeUser1','$2a$10$I5As4ytTEJzesME.T/CIWuFJuTW4afpsxeTBbrUYBF8S962EJ8r.C'),('user2@user.io','FakeUser2','$2a$10$gQT6ety02Cb2o2vnQryBWOYWT4ajzYYaXDaldT2K24QBDEjTl8lxS');
INSERT INTO "SequelizeData" ("name") VALUES ('20261126044921-demo-user.js') RETURNING "name";
INSERT INTO "Users" ("id","username","email","hashedPassword","createdAt","updatedAt") VALUES (DEFAULT,'ExpressSignup','signup@user.io','$2b$10$Kf2rM2jLBG8zTsXGIs.Awew7yKo6rJijPZuDCb.1vtcXKV94wZrqi','2026-11-26 05:50:30.452 +00:00','2026-11-26 05:50:30.452 +00:00') RETURNING "id","username","email","hashedPassword","createdAt","updatedAt";
