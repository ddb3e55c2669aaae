DROP INDEX "Users_email_lower_key";
DROP INDEX "Users_username_lower_key";
