"""Turning a `Reply` into what one chat shows: plain text (shell, files) or Slack Block Kit."""
