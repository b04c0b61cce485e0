"""DialogueService: characters, lore, sessions and streamed NPC turns (one method per RPC)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from typing import TYPE_CHECKING, AsyncIterator

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.config import DialogueConfig
from worldsmith.dialogue.cards import ID_PATTERN, check_visible, validate_character, validate_lore
from worldsmith.dialogue.conversation import Conversation
from worldsmith.dialogue.delivery import Delivery
from worldsmith.dialogue.director import TurnDirector, check_world_state
from worldsmith.dialogue.saves import FORMAT_VERSION, export_blob, import_blob
from worldsmith.dialogue.spoken import SpokenTurn
from worldsmith.dialogue.turns import Turn
from worldsmith.errors import AlreadyExists, InvalidArgument, NotFound
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.registry import ModelProvider
from worldsmith.store import Store

if TYPE_CHECKING:  # sentence-transformers loads only with an embedder model
    from worldsmith.runtime.embedder import Embedder
    from worldsmith.runtime.speech import SpeechEngine

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_LORE_PER_CALL = 1000
MAX_PLAYER_ID = 128


class DialogueService:
    """CRUD works without a model; Say and Converse answer UNAVAILABLE (with the reason) until
    the text generator is resident. Without `embedder_provider` lore is retrieved by BM25; without
    `speech_provider` a turn that asks for speech is FAILED_PRECONDITION."""

    def __init__(self, settings: DialogueConfig, store: Store, generator_provider: ModelProvider[TextEngine],
                 embedder_provider: ModelProvider[Embedder] | None = None,
                 speech_provider: ModelProvider[SpeechEngine] | None = None):
        self.settings = settings
        self.store = store
        self.director = TurnDirector(settings, store, generator_provider, embedder_provider, speech_provider)

    # -- characters ----------------------------------------------------------------------------
    async def UpsertCharacter(self, request: dialogue_pb2.UpsertCharacterRequest, ctx: CallContext):
        if not request.HasField("character"):
            raise InvalidArgument("character", "is missing; send the character card")
        # Off the event loop: the largest card a client may send compiles 64 schemas (about a second).
        character = await asyncio.to_thread(validate_character, request.character)
        self.director.check_voice(character)
        created = await asyncio.to_thread(self.store.characters.upsert, character)
        return dialogue_pb2.UpsertCharacterResponse(character=character, created=created)

    async def GetCharacter(self, request: dialogue_pb2.GetCharacterRequest, ctx: CallContext):
        _require_id("character_id", request.character_id)
        character = await self.director.load_character(request.character_id, "character_id")
        return dialogue_pb2.GetCharacterResponse(character=character)

    async def ListCharacters(self, request: dialogue_pb2.ListCharactersRequest, ctx: CallContext):
        if request.page_size > MAX_PAGE_SIZE:
            raise InvalidArgument("page_size", f"is {request.page_size}; at most {MAX_PAGE_SIZE}")
        size = request.page_size or DEFAULT_PAGE_SIZE
        after = _decode_page_token(request.page_token)
        # One extra row tells whether another page follows.
        characters = await asyncio.to_thread(self.store.characters.page, after, size + 1)
        response = dialogue_pb2.ListCharactersResponse(characters=characters[:size])
        if len(characters) > size:
            response.next_page_token = base64.urlsafe_b64encode(characters[size - 1].id.encode()).decode()
        return response

    async def DeleteCharacter(self, request: dialogue_pb2.DeleteCharacterRequest, ctx: CallContext):
        _require_id("character_id", request.character_id)
        if not await asyncio.to_thread(self.store.characters.delete, request.character_id):
            raise NotFound(f"character_id: no character {request.character_id!r}")
        return dialogue_pb2.DeleteCharacterResponse()

    # -- lore ------------------------------------------------------------------------------------
    async def UpsertLore(self, request: dialogue_pb2.UpsertLoreRequest, ctx: CallContext):
        if not request.entries:
            raise InvalidArgument("entries", "is empty; send at least one lore entry")
        if len(request.entries) > MAX_LORE_PER_CALL:
            raise InvalidArgument("entries", f"has {len(request.entries)} entries; at most {MAX_LORE_PER_CALL} per call")
        entries = [validate_lore(entry, f"entries[{i}]") for i, entry in enumerate(request.entries)]
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries):
            if entry.id in seen:
                raise InvalidArgument(f"entries[{i}].id", f"duplicate of entries[{seen[entry.id]}].id ({entry.id!r})")
            seen[entry.id] = i
        upserted = await asyncio.to_thread(self.store.lore.upsert_many, entries)
        return dialogue_pb2.UpsertLoreResponse(upserted=upserted)

    async def ListLore(self, request: dialogue_pb2.ListLoreRequest, ctx: CallContext):
        entries = await asyncio.to_thread(self.store.lore.list, request.tag)
        return dialogue_pb2.ListLoreResponse(entries=entries)

    async def DeleteLore(self, request: dialogue_pb2.DeleteLoreRequest, ctx: CallContext):
        _require_id("lore_id", request.lore_id)
        if not await asyncio.to_thread(self.store.lore.delete, request.lore_id):
            raise NotFound(f"lore_id: no lore entry {request.lore_id!r}")
        return dialogue_pb2.DeleteLoreResponse()

    # -- sessions ----------------------------------------------------------------------------------
    async def _check_characters(self, field_name: str, character_ids) -> None:
        if not character_ids:
            raise InvalidArgument(field_name, "is empty; name at least one character")
        seen: dict[str, int] = {}
        for i, character_id in enumerate(character_ids):
            if character_id in seen:
                raise InvalidArgument(f"{field_name}[{i}]", f"duplicate of {field_name}[{seen[character_id]}] ({character_id!r})")
            seen[character_id] = i
        missing = await asyncio.to_thread(self.store.characters.missing, list(character_ids))
        if missing:
            index = list(character_ids).index(missing[0])
            raise NotFound(f"{field_name}[{index}]: no character {missing[0]!r} (upsert it with UpsertCharacter)")

    async def CreateSession(self, request: dialogue_pb2.CreateSessionRequest, ctx: CallContext):
        session_id = request.session_id or uuid.uuid4().hex
        _require_id("session_id", session_id)
        player_id = request.player_id or "player"
        problems: list[tuple[str, str]] = []
        check_visible("player_id", player_id, problems)
        if problems or len(player_id) > MAX_PLAYER_ID:
            raise InvalidArgument("player_id", f"must be 1-{MAX_PLAYER_ID} visible characters (no control, bidi or "
                                               f"byte-order characters)")
        await self._check_characters("character_ids", request.character_ids)
        check_world_state("world_state", request.world_state)
        session = dialogue_pb2.Session(id=session_id, player_id=player_id, character_ids=request.character_ids,
                                       world_state={k: v for k, v in request.world_state.items() if v})
        if not await asyncio.to_thread(self.store.sessions.create, session):
            raise AlreadyExists(f"session_id: session {session_id!r} exists; delete it, import over it, or leave the id empty")
        return dialogue_pb2.CreateSessionResponse(session=session)

    async def GetSession(self, request: dialogue_pb2.GetSessionRequest, ctx: CallContext):
        session = await self.director.load_session(request.session_id)
        return dialogue_pb2.GetSessionResponse(session=session)

    async def DeleteSession(self, request: dialogue_pb2.DeleteSessionRequest, ctx: CallContext):
        _require_id("session_id", request.session_id)
        async with self.director.session_lock(request.session_id):
            if not await asyncio.to_thread(self.store.sessions.delete, request.session_id):
                raise NotFound(f"session_id: no session {request.session_id!r}")
        return dialogue_pb2.DeleteSessionResponse()

    async def ExportSession(self, request: dialogue_pb2.ExportSessionRequest, ctx: CallContext):
        _require_id("session_id", request.session_id)
        async with self.director.session_lock(request.session_id):
            session = await self.director.load_session(request.session_id)
        return dialogue_pb2.ExportSessionResponse(blob=export_blob(session), format_version=FORMAT_VERSION)

    async def ImportSession(self, request: dialogue_pb2.ImportSessionRequest, ctx: CallContext):
        session = import_blob(request.blob)
        if request.session_id:
            session.id = request.session_id
        _require_id("session_id" if request.session_id else "blob.id", session.id)
        await self._check_characters("blob.character_ids", session.character_ids)
        check_world_state("blob.world_state", session.world_state)
        async with self.director.session_lock(session.id):
            await asyncio.to_thread(self.store.sessions.replace, session)
        return dialogue_pb2.ImportSessionResponse(session=session)

    # -- turns -------------------------------------------------------------------------------------
    async def Say(self, request: dialogue_pb2.SayRequest, ctx: CallContext) -> AsyncIterator[dialogue_pb2.SayResponse]:
        director = self.director
        event = request.event if request.HasField("event") else None
        inputs = director.inputs_of(request.utterance, event, "utterance", "event")
        if not inputs and not (event and event.world_state):
            raise InvalidArgument("utterance", "is empty; send the player's words, or a game event in `event`")
        sampling = director.sampling(request.options, "options")
        _require_id("session_id", request.session_id)
        async with director.session_lock(request.session_id):
            if event is not None and event.world_state:
                await director.load_session(request.session_id)
                await asyncio.to_thread(self.store.sessions.update_world_state, request.session_id, dict(event.world_state))
            if not inputs:
                return
            turn = await director.prepare(
                request.session_id, request.character_id, inputs, sampling,
                {"session_id": "session_id", "character_id": "character_id", "input": "utterance"}, ctx,
            )
            spoken = None
            if request.speech.enabled:
                spoken = SpokenTurn(director.voicing(turn.character), ctx, turn.plan.turn_id, turn.plan.sampling.seed)
            delivery = Delivery(director, turn, spoken.track if spoken else None)
            turn_events = Turn(turn.plan, turn.generator, ctx, _no_result).events()
            try:
                async with contextlib.aclosing(spoken.events(turn_events) if spoken else turn_events) as items:
                    async for item in items:
                        event = await delivery.send(item)
                        if event is not None:
                            yield event.response(dialogue_pb2.SayResponse)
                            delivery.sent(event)
            finally:
                delivery.close()

    async def ReportHeard(self, request: dialogue_pb2.ReportHeardRequest, ctx: CallContext) -> dialogue_pb2.ReportHeardResponse:
        _require_id("session_id", request.session_id)
        _require_id("turn_id", request.turn_id)
        turn = await self.director.keep_heard(request.session_id, request.turn_id, request.audio_played_ms, "turn_id")
        return dialogue_pb2.ReportHeardResponse(turn=turn)

    async def Converse(self, requests: AsyncIterator[dialogue_pb2.ConverseRequest], ctx: CallContext) -> AsyncIterator[dialogue_pb2.ConverseResponse]:
        async with contextlib.aclosing(Conversation(self.director, requests, ctx).run()) as responses:
            async for response in responses:
                yield response


async def _no_result(call: dialogue_pb2.ActionCall) -> None:
    """Say cannot carry an action result back: the call is sent and the turn completes."""
    return None


def _require_id(field_name: str, value: str) -> None:
    if not value:
        raise InvalidArgument(field_name, "is empty")
    if not ID_PATTERN.match(value):
        raise InvalidArgument(field_name, f"{value!r} is not a valid id: 1-64 letters, digits, '_', '-' or '.'")


def _decode_page_token(token: str) -> str:
    if not token:
        return ""
    try:
        after = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        after = ""
    if not ID_PATTERN.match(after):
        raise InvalidArgument("page_token", "is not a token this server issued; pass next_page_token unchanged")
    return after
