-- The username as authme compares it: case, width, accents and look-alike letters
-- mapped away (auth.UsernameMatchKey). Computed in Go, so this leaves it NULL; authme
-- fills it right after migrating, and for rows another app adds later, at the next
-- sign-up, log-in or migrate. Nullable with no default, so the Express app, which does
-- not know the column, can still insert users.
ALTER TABLE "Users" ADD COLUMN "usernameKey" TEXT;
CREATE UNIQUE INDEX "Users_usernameKey_key" ON "Users" ("usernameKey") WHERE "usernameKey" IS NOT NULL;
-- Finds the rows still to fill without reading the table, so the fill is free once done.
CREATE INDEX "Users_usernameKey_missing" ON "Users" ("id") WHERE "usernameKey" IS NULL;
