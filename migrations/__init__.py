"""Alembic migrations for SQLite and PostgreSQL; revisions are named by date."""
