"""The store's tables as SQLAlchemy Core objects, at the newest migration (queries are built from these)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, Table, Text

metadata = MetaData()

characters = Table(
    "characters", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("card_json", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

lore = Table(
    "lore", metadata,
    Column("id", Text, primary_key=True),
    Column("entry_json", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

lore_tags = Table(
    "lore_tags", metadata,
    Column("lore_id", Text, ForeignKey("lore.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", Text, primary_key=True),
    Index("lore_tags_by_tag", "tag"),
)

# One row: bumped by every lore write in the same transaction, so each front sees every other's writes.
lore_revision = Table(
    "lore_revision", metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Text, primary_key=True),
    Column("player_id", Text, nullable=False),
    Column("character_ids", Text, nullable=False),
    Column("world_state", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    # The sequence number the session's next turn takes; raised under the row's lock by each append.
    Column("next_seq", BigInteger, nullable=False, server_default="0"),
)

turns = Table(
    "turns", metadata,
    Column("session_id", Text, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("turn_id", Text, nullable=False),
    Column("speaker", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("interrupted", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
