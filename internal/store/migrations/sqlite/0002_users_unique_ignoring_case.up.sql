-- Demo@User.io and demo@user.io are one address; the same for usernames.
-- This fails, changing nothing, if existing rows already differ only in case.
CREATE UNIQUE INDEX "Users_username_lower_key" ON "Users" (lower("username"));
CREATE UNIQUE INDEX "Users_email_lower_key" ON "Users" (lower("email"));
