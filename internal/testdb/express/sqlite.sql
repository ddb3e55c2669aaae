-- A SQLite database made by the Express authenticate-me reference app
-- (shared/reference/express-authenticate-me), as `sqlite3 fixture.db .dump` prints it:
--   cp -r shared/reference/express-authenticate-me /tmp/ref && cd /tmp/ref && npm install
--   NODE_ENV=development DB_FILE=/tmp/ref/fixture.db ./node_modules/.bin/dotenv run -- ./node_modules/.bin/sequelize db:migrate
--   ... the same with db:seed:all (tutorial step 14), then `node ./bin/www` and one sign-up
--   through POST /api/users (row 4: ExpressSignup / signup@user.io / signup-password).
-- Changed from the dump: the PRAGMA foreign_keys=OFF / BEGIN / COMMIT wrapper is left out,
-- and rows 1-3 carry bcryptjs hashes with the `$2a$` prefix that the seed's bcryptjs 2.x
-- writes (made with bcryptjs 3.0.3 given a `$2a$10$` salt; 3.x itself writes `$2b$`, as
-- row 4 shows). Passwords: password, password2, password3 (the seed's demo users).
CREATE TABLE `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE PRIMARY KEY);
INSERT INTO SequelizeMeta VALUES('20261126044920-create-user.js');
CREATE TABLE `Users` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `username` VARCHAR(30) NOT NULL UNIQUE, `email` VARCHAR(256) NOT NULL UNIQUE, `hashedPassword` VARCHAR BINARY(255) NOT NULL, `createdAt` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatedAt` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
INSERT INTO Users VALUES(1,'Demo-lition','demo@user.io','$2a$10$pwhqIAvbRMBzeYFNl70Pk.DpnzsfZGWQHRE7OTgIrYngaIxHLwg8G','2026-11-26 05:50:16','2026-11-26 05:50:16');
INSERT INTO Users VALUES(2,'FakeUser1','user1@user.io','$2a$10$I5As4ytTEJzesME.T/CIWuFJuTW4afpsxeTBbrUYBF8S962EJ8r.C','2026-11-26 05:50:16','2026-11-26 05:50:16');
INSERT INTO Users VALUES(3,'FakeUser2','user2@user.io','$2a$10$gQT6ety02Cb2o2vnQryBWOYWT4ajzYYaXDaldT2K24QBDEjTl8lxS','2026-11-26 05:50:16','2026-11-26 05:50:16');
INSERT INTO Users VALUES(4,'ExpressSignup','signup@user.io','$2b$10$Kf2rM2jLBG8zTsXGIs.Awew7yKo6rJijPZuDCb.1vtcXKV94wZrqi','2026-11-26 05:50:30.452 +00:00','2026-11-26 05:50:30.452 +00:00');
CREATE TABLE `SequelizeData` (`name` VARCHAR(255) NOT NULL UNIQUE PRIMARY KEY);
INSERT INTO SequelizeData VALUES('20261126044921-demo-user.js');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('Users',4);
