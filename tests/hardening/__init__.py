"""Hostile input: bounded work per message, a transport that refuses junk cheaply, no secret in any error."""
