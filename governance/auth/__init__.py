"""API keys with roles, stored hashed."""
