"""Governed model calls: every generation and restoration passes through one pipeline."""
