"""The identifiers of the one fake workspace that every fake and payload builder agrees on."""

TEAM_ID = "T0PILOT01"
TEAM_DOMAIN = "pilothouse-test"
TEAM_NAME = "Pilothouse Test"
APP_ID = "A1"
BOT_USER_ID = "U0PILOTBOT"
BOT_ID = "B0PILOTBOT"
BOT_NAME = "pilothouse"

# Defaults for the human side of payloads.
USER_ID = "U0ALICE01"
USER_NAME = "alice"
CHANNEL_ID = "C0OPS0001"
CHANNEL_NAME = "ops"
