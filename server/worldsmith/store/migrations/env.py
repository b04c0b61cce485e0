"""Alembic's entry point: migrate the connection `Database` hands over, or the URL given with `-x url=...`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from worldsmith.store.schema import metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database with -x url=sqlite:///var/worldsmith.db (or postgresql+psycopg://...)")
    with create_engine(url).begin() as connection:
        run(connection)
