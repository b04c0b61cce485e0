"""Prepares and records turns: checks the input, loads the session and card, retrieves lore,
builds the prompt, resolves sampling; afterwards writes what was delivered to the session."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import secrets
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.config import DialogueConfig
from worldsmith.dialogue.cards import check_visible
from worldsmith.dialogue.knowledge import LoreIndex, may_know
from worldsmith.dialogue.language import reply_language
from worldsmith.dialogue.prompt import EVENT, MESSAGE_OVERHEAD_TOKENS, PLAYER, Prompt, TurnInput, build_prompt
from worldsmith.dialogue.reply import decision_request, decision_tokens, is_structured
from worldsmith.dialogue.spoken import SpokenTrack, Voicing, voicing_for
from worldsmith.dialogue.turns import Sampling, TurnOutcome, TurnPlan, action_report
from worldsmith.errors import InvalidArgument, NotFound, Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.registry import ModelProvider
from worldsmith.runtime.speech import SpeechEngine, chosen_voice
from worldsmith.store import Store
from worldsmith.store.sessions import now_ms

if TYPE_CHECKING:  # the embedder's module loads torch and sentence-transformers
    from worldsmith.runtime.embedder import Embedder

MAX_STOP_SEQUENCES = 8
MAX_STOP_CHARS = 64
MAX_TEMPERATURE = 2.0
MAX_WORLD_STATE_KEYS = 256
MAX_WORLD_STATE_CHARS = 256
# Tokens kept free beyond the estimate, for the chat template's own markers.
CONTEXT_MARGIN_TOKENS = 16
# Spoken turns whose audio timing is kept for a later ReportHeard (a turn's audio plays on after its text is done).
MAX_SPOKEN_TURNS = 1024


def new_turn_id() -> str:
    return uuid.uuid4().hex[:16]


def check_world_state(field_name: str, updates: Mapping[str, str]) -> None:
    if len(updates) > MAX_WORLD_STATE_KEYS:
        raise InvalidArgument(field_name, f"has {len(updates)} keys; at most {MAX_WORLD_STATE_KEYS}")
    for key, value in updates.items():
        if not key or len(key) > MAX_WORLD_STATE_CHARS:
            raise InvalidArgument(f"{field_name}[{key!r}]", f"keys are 1-{MAX_WORLD_STATE_CHARS} characters")
        if len(value) > MAX_WORLD_STATE_CHARS:
            raise InvalidArgument(f"{field_name}[{key!r}]", f"value is {len(value)} characters; at most {MAX_WORLD_STATE_CHARS}")
        # Keys and values go into the prompt: a line break or an invisible character could forge a line of it.
        problems: list[tuple[str, str]] = []
        check_visible(f"{field_name}[{key!r}]", key + value, problems)
        if problems:
            raise InvalidArgument(*problems[0])


@dataclass
class PreparedTurn:
    """Everything a turn needs to run, and to be recorded afterwards."""

    session_id: str
    character: dialogue_pb2.Character
    inputs: list[TurnInput]
    prompt: Prompt
    plan: TurnPlan
    generator: TextEngine
    recorded: bool = False
    record_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Delivered:
    """The text the client actually received, per utterance (filled in as deltas are sent)."""

    utterances: dict[int, str] = field(default_factory=dict)

    def add(self, delta: dialogue_pb2.TextDelta) -> None:
        self.utterances[delta.utterance_index] = self.utterances.get(delta.utterance_index, "") + delta.text

    @property
    def text(self) -> str:
        return " ".join(part.strip() for _, part in sorted(self.utterances.items()) if part.strip())


class TurnDirector:
    """Shared by Say and Converse so both run turns the same way."""

    def __init__(self, settings: DialogueConfig, store: Store, generator_provider: ModelProvider[TextEngine],
                 embedder_provider: ModelProvider[Embedder] | None = None,
                 speech_provider: ModelProvider[SpeechEngine] | None = None):
        self.settings = settings
        self.store = store
        self.generator_provider = generator_provider
        self.embedder_provider = embedder_provider
        self.speech_provider = speech_provider
        self._spoken: collections.OrderedDict[str, tuple[str, SpokenTrack]] = collections.OrderedDict()
        self._lore_index: LoreIndex | None = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- serialisation -------------------------------------------------------------------
    def session_lock(self, session_id: str) -> asyncio.Lock:
        """One turn at a time per session, whichever stream it comes from."""
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    # -- input checks ----------------------------------------------------------------------
    def check_text(self, field_name: str, text: str) -> None:
        limit = self.settings.max_utterance_chars
        if len(text) > limit:
            raise InvalidArgument(field_name, f"is {len(text)} characters; at most {limit} (dialogue.max_utterance_chars)")

    def inputs_of(self, utterance: str, event: dialogue_pb2.GameEvent | None, utterance_field: str,
                  event_field: str) -> list[TurnInput]:
        """A turn's inputs: the event first (it happened before the player spoke), then the words."""
        self.check_text(utterance_field, utterance)
        inputs = []
        if event is not None:
            self.check_text(f"{event_field}.description", event.description)
            check_world_state(f"{event_field}.world_state", event.world_state)
            if event.description.strip():
                inputs.append(TurnInput(EVENT, event.description.strip()))
        if utterance.strip():
            inputs.append(TurnInput(PLAYER, utterance.strip()))
        return inputs

    def sampling(self, options: dialogue_pb2.GenerationOptions, field_name: str) -> Sampling:
        settings = self.settings
        limit = settings.context_tokens // 2
        if options.max_new_tokens > limit:
            raise InvalidArgument(f"{field_name}.max_new_tokens", f"is {options.max_new_tokens}; at most {limit} (half of dialogue.context_tokens)")
        temperature = options.temperature if options.HasField("temperature") else settings.temperature
        if not 0 <= temperature <= MAX_TEMPERATURE:
            raise InvalidArgument(f"{field_name}.temperature", f"is {temperature}; use 0 (greedy) to {MAX_TEMPERATURE}")
        top_p = options.top_p if options.HasField("top_p") else settings.top_p
        if not 0 < top_p <= 1:
            raise InvalidArgument(f"{field_name}.top_p", f"is {top_p}; use a value in (0, 1]")
        if len(options.stop_sequences) > MAX_STOP_SEQUENCES:
            raise InvalidArgument(f"{field_name}.stop_sequences", f"has {len(options.stop_sequences)}; at most {MAX_STOP_SEQUENCES}")
        for i, stop in enumerate(options.stop_sequences):
            if not 1 <= len(stop) <= MAX_STOP_CHARS:
                raise InvalidArgument(f"{field_name}.stop_sequences[{i}]", f"must be 1-{MAX_STOP_CHARS} characters")
        return Sampling(
            max_new_tokens=options.max_new_tokens or settings.max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=options.seed,
            stop_sequences=tuple(options.stop_sequences),
        )

    # -- sessions and cards ------------------------------------------------------------------
    async def load_session(self, session_id: str, field_name: str = "session_id") -> dialogue_pb2.Session:
        if not session_id:
            raise InvalidArgument(field_name, "is empty; pass the id CreateSession returned")
        session = await asyncio.to_thread(self.store.sessions.get, session_id)
        if session is None:
            raise NotFound(f"{field_name}: no session {session_id!r} (create it with CreateSession or ImportSession)")
        return session

    def answering_character_id(self, session: dialogue_pb2.Session, character_id: str, field_name: str) -> str:
        if not character_id:
            if len(session.character_ids) == 1:
                return session.character_ids[0]
            raise InvalidArgument(field_name, f"is empty, but session {session.id!r} has {len(session.character_ids)} characters "
                                              f"({', '.join(session.character_ids)}); name the one who answers")
        if character_id not in session.character_ids:
            raise InvalidArgument(field_name, f"{character_id!r} is not in session {session.id!r} (its characters: {', '.join(session.character_ids)})")
        return character_id

    async def load_character(self, character_id: str, field_name: str) -> dialogue_pb2.Character:
        character = await asyncio.to_thread(self.store.characters.get, character_id)
        if character is None:
            raise NotFound(f"{field_name}: no character {character_id!r} (upsert it with UpsertCharacter)")
        return character

    # -- model access ----------------------------------------------------------------------------
    def generator(self):
        """The resident text generator, or Unavailable with the reason."""
        return self.generator_provider()

    def voicing(self, character: dialogue_pb2.Character) -> Voicing:
        """How `character` speaks: FAILED_PRECONDITION without a speech model, UNAVAILABLE while it is not ready,
        INVALID_ARGUMENT naming `character.voice` for a voice it does not have."""
        return voicing_for(self.speech_provider, character)

    def check_voice(self, character: dialogue_pb2.Character) -> None:
        """Refuse a card whose voice the resident speech model does not have; with none resident, nothing can say."""
        if not character.voice.id or self.speech_provider is None:
            return
        try:
            engine = self.speech_provider()
        except Unavailable:
            return
        chosen_voice(engine, character.voice, "character.voice")

    def remember_spoken(self, session_id: str, turn_id: str, track: SpokenTrack) -> None:
        """Keep a spoken turn's audio timing, the most recent MAX_SPOKEN_TURNS, for keep_heard."""
        self._spoken[turn_id] = (session_id, track)
        self._spoken.move_to_end(turn_id)
        while len(self._spoken) > MAX_SPOKEN_TURNS:
            self._spoken.popitem(last=False)

    async def keep_heard(self, session_id: str, turn_id: str, played_ms: int, field_name: str) -> dialogue_pb2.Turn:
        """Store only the words of a finished spoken turn that `played_ms` of its audio said, marked interrupted.
        The session's lock comes first: a turn the client has just stopped is recorded before it is looked up."""
        async with self.session_lock(session_id):
            spoken = self._spoken.get(turn_id)
            if spoken is None or spoken[0] != session_id:
                raise NotFound(f"{field_name}: no spoken turn {turn_id!r} in session {session_id!r} (the server keeps "
                               f"the audio timing of the last {MAX_SPOKEN_TURNS} spoken turns)")
            session = await self.load_session(session_id)
            stored = next((turn for turn in session.turns if turn.turn_id == turn_id), None)
            if stored is None:
                raise NotFound(f"{field_name}: turn {turn_id!r} is no longer in the session's history (summarised)")
            heard = Delivered(spoken[1].heard(played_ms)).text
            if (stored.text, stored.interrupted) != (heard, True):
                stored.text, stored.interrupted = heard, True
                await asyncio.to_thread(self.store.sessions.replace, session)
            return stored

    def _embedder(self) -> Embedder | None:
        """The lore embedder; None when the config names none (BM25 then ranks lore). A configured embedder that
        is not ready raises Unavailable, as every model the config names does."""
        return None if self.embedder_provider is None else self.embedder_provider()

    async def retrieve_lore(self, query: str, character: dialogue_pb2.Character, world_state: Mapping[str, str],
                            ctx: CallContext) -> list[dialogue_pb2.LoreEntry]:
        version = self.store.lore.version
        if self._lore_index is None or self._lore_index.version != version:
            entries = await asyncio.to_thread(self.store.lore.list)
            self._lore_index = LoreIndex(entries, version)
        embedder = self._embedder()
        embed = None
        if embedder is not None:
            async def embed(texts):
                return await embedder.embed(list(texts), CallContext(lane=ctx.lane, deadline=ctx.deadline))
        return await self._lore_index.search(
            query, lambda entry: may_know(entry, character, world_state), self.settings.lore_entries_per_turn,
            embed=embed, model_key=embedder,
        )

    # -- preparing ---------------------------------------------------------------------------------
    async def prepare(self, session_id: str, character_id: str, inputs: list[TurnInput], sampling: Sampling,
                      fields: Mapping[str, str], ctx: CallContext) -> PreparedTurn:
        """Load, retrieve and build the prompt. `fields` names the request fields for errors:
        "session_id", "character_id", "input"."""
        started_at = time.monotonic()
        session = await self.load_session(session_id, fields["session_id"])
        answering = self.answering_character_id(session, character_id, fields["character_id"])
        character = await self.load_character(answering, fields["character_id"])
        names = {character.id: character.name}
        for other in session.character_ids:
            if other not in names:
                card = await asyncio.to_thread(self.store.characters.get, other)
                names[other] = card.name if card else other
        generator = self.generator()
        count_tokens = generator.count_tokens
        structured = is_structured(character)

        script = not generator.has_chat_template
        segment = sampling.max_new_tokens
        if structured:
            # The decision's answer, and for chat models the instruction that asks for it after the words.
            segment += decision_tokens(character)
            if not script:
                segment += count_tokens(decision_request(character)) + 2 * MESSAGE_OVERHEAD_TOKENS
        # A turn with actions continues after each result, so it keeps room for one more segment.
        reserved = segment * (2 if character.actions else 1) + CONTEXT_MARGIN_TOKENS
        budget = min(self.settings.context_tokens, generator.context_tokens) - reserved
        input_tokens = sum(count_tokens(item.text) for item in inputs)
        if input_tokens > budget // 2:
            raise InvalidArgument(fields["input"], f"is {input_tokens} tokens; at most {budget // 2} fit this server's "
                                                   f"context window (dialogue.context_tokens={self.settings.context_tokens})")

        query = " ".join(item.text for item in inputs)
        lore = await self.retrieve_lore(query, character, session.world_state, ctx)
        player_text = " ".join(item.text for item in inputs if item.speaker == PLAYER)
        language = reply_language(character, player_text)
        prompt = build_prompt(character, session, names, lore, inputs, budget, count_tokens,
                              language=language, script=script,
                              special_tokens=generator.special_tokens)
        if not sampling.seed:
            # 0 asks for a fresh reply every turn; any other seed replays exactly.
            sampling = dataclasses.replace(sampling, seed=secrets.randbits(63))
        plan = TurnPlan(turn_id=new_turn_id(), character=character, messages=prompt.messages, sampling=sampling,
                        structured=structured, script=script, language=language, started_at=started_at)
        return PreparedTurn(session_id=session.id, character=character, inputs=inputs, prompt=prompt, plan=plan,
                            generator=generator)

    # -- recording -----------------------------------------------------------------------------------
    def record(self, turn: PreparedTurn, delivered: Delivered, outcome: TurnOutcome | None, interrupted: bool) -> str:
        """Write the turn's inputs, what was delivered and the actions taken, in one transaction.
        Returns the stored text. Synchronous, since it is also called while a stream is being torn
        down; idempotent, since a teardown may race the normal path."""
        with turn.record_lock:
            if turn.recorded:
                return delivered.text
            turn.recorded = True
            return self._write(turn, delivered, outcome, interrupted)

    def _write(self, turn: PreparedTurn, delivered: Delivered, outcome: TurnOutcome | None, interrupted: bool) -> str:
        stamp = now_ms()
        turn_id = turn.plan.turn_id
        rows = [
            dialogue_pb2.Turn(turn_id=f"{turn_id}-in{i}", speaker=item.speaker, text=item.text, created_unix_ms=stamp)
            for i, item in enumerate(turn.inputs)
        ]
        text = delivered.text
        # Kept even when empty: the character had its turn and said nothing (or was cut off first).
        rows.append(dialogue_pb2.Turn(turn_id=turn_id, speaker=turn.character.id, text=text,
                                      interrupted=interrupted, created_unix_ms=stamp))
        for i, (call, result) in enumerate(outcome.actions if outcome else []):
            rows.append(dialogue_pb2.Turn(turn_id=f"{turn_id}-act{i}", speaker=EVENT,
                                          text=action_report(call, result, turn.character.name), created_unix_ms=stamp))
        prompt = turn.prompt
        self.store.sessions.commit_turns(turn.session_id, rows, fold_through=prompt.folded_through,
                                         summary=prompt.summary)
        return text

    async def complete(self, turn: PreparedTurn, delivered: Delivered, outcome: TurnOutcome,
                       stop_reason: int | None = None) -> dialogue_pb2.TurnCompleted:
        """Record the turn, then describe it for the client (the store write comes first)."""
        interrupted = stop_reason is not None
        text = await asyncio.to_thread(self.record, turn, delivered, outcome, interrupted)
        return dialogue_pb2.TurnCompleted(
            turn_id=turn.plan.turn_id,
            interrupted=interrupted,
            reason=stop_reason if interrupted else outcome.reason,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            time_to_first_token_ms=outcome.time_to_first_token_s * 1000.0,
            text=text,
        )
