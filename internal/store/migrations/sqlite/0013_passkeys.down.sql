DROP TABLE "WebAuthnChallenges";
DROP TABLE "Passkeys";
