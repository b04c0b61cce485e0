"""What a character may know (knowledge scope) and which of it is relevant to a turn (retrieval)."""

from __future__ import annotations

import re
from typing import Awaitable, Callable, Mapping, Sequence

import numpy as np
from rank_bm25 import BM25Plus

from worldsmith._proto.worldsmith.v1 import dialogue_pb2

VISIBILITY = dialogue_pb2.LoreVisibility
FALSE_FLAGS = {"", "0", "false", "no", "off"}

# texts -> one unit-length row per text
EmbedFunction = Callable[[Sequence[str]], Awaitable[np.ndarray]]


def flag_is_set(world_state: Mapping[str, str], flag: str) -> bool:
    return world_state.get(flag, "").strip().lower() not in FALSE_FLAGS


def may_know(entry: dialogue_pb2.LoreEntry, character: dialogue_pb2.Character, world_state: Mapping[str, str]) -> bool:
    """The knowledge scope: an entry is known when every one of its tags is among the character's
    knowledge tags (untagged entries are common knowledge), and its visibility gate is open:
    faction lore only for that faction, quest lore only while the session's flag is set."""
    if not set(entry.tags) <= set(character.knowledge_tags):
        return False
    if entry.visibility == VISIBILITY.LORE_VISIBILITY_FACTION:
        return bool(character.faction) and character.faction == entry.faction
    if entry.visibility == VISIBILITY.LORE_VISIBILITY_QUEST_STATE:
        return flag_is_set(world_state, entry.quest_flag)
    return True


# Function words match nearly every entry of a small lore book and would drown the real matches.
STOPWORDS = frozenset(
    "a an and are as at be but by do does did for from had has have he her his i if in is it its me my "
    "no not of on or our she so that the their them then there they this to was we were what when where "
    "which who why will with you your".split()
)


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]


def lore_text(entry: dialogue_pb2.LoreEntry) -> str:
    return f"{entry.title}. {entry.text}" if entry.title else entry.text


class LoreIndex:
    """Ranks lore entries against a query: embedding cosine similarity when an embedder is
    loaded, BM25 over words otherwise. Rebuilt when the lore changes (`version`)."""

    def __init__(self, entries: list[dialogue_pb2.LoreEntry], version: object):
        self.entries = entries
        self.version = version
        tokenized = [words(lore_text(e)) or ["_"] for e in entries]
        self._words = [set(tokens) for tokens in tokenized]
        # BM25+ keeps every idf positive, which plain BM25 does not on a lore book of a few entries.
        self._bm25 = BM25Plus(tokenized) if entries else None
        self._vectors: np.ndarray | None = None
        self._vectors_model: object | None = None

    def bm25_scores(self, query: str) -> np.ndarray:
        """BM25+ scores; entries sharing no word with the query score -inf."""
        tokens = words(query)
        if self._bm25 is None or not tokens:
            return np.full(len(self.entries), -np.inf)
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)
        shares = np.array([bool(entry_words.intersection(tokens)) for entry_words in self._words])
        return np.where(shares, scores, -np.inf)

    async def embedding_scores(self, query: str, embed: EmbedFunction, model_key: object) -> np.ndarray:
        if self._vectors is None or self._vectors_model is not model_key:
            self._vectors = await embed([lore_text(e) for e in self.entries])
            self._vectors_model = model_key
        query_vector = (await embed([query]))[0]
        return self._vectors @ query_vector

    async def search(
        self,
        query: str,
        allowed: Callable[[dialogue_pb2.LoreEntry], bool],
        limit: int,
        embed: EmbedFunction | None = None,
        model_key: object = None,
    ) -> list[dialogue_pb2.LoreEntry]:
        """The `limit` best entries that `allowed` admits. Lexically only entries sharing a
        word with the query count; with embeddings the nearest ones do."""
        candidates = [i for i, entry in enumerate(self.entries) if allowed(entry)]
        if not candidates or limit <= 0 or not query.strip():
            return []
        if embed is not None:
            scores = await self.embedding_scores(query, embed, model_key)
        else:
            scores = self.bm25_scores(query)
        # Highest score first; ties keep lore order (by id) so retrieval is deterministic.
        ranked = sorted(candidates, key=lambda i: (-scores[i], i))
        return [self.entries[i] for i in ranked[:limit] if np.isfinite(scores[i])]
