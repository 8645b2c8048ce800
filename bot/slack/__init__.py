"""The Slack adapter: one Bolt app, served over Socket Mode or HTTP, same pipeline as the shell."""
