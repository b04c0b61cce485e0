"""Alembic migrations of the store's schema; `Database` runs them to head when it opens."""
