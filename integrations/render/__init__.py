"""Turning a `Reply` into what one chat shows: plain text for the shell (Slack comes later)."""
