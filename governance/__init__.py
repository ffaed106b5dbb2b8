"""The governance service: HTTP API, CLI, settings, database and the governed pipeline."""
