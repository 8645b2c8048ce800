"""The app: settings, wiring, chat adapters, and the pipeline from a message to a reply."""
