"""Alembic revisions, one file per schema step; append only, never edit a shipped one."""
