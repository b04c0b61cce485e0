"""Cards, contexts and stream helpers shared by the dialogue tests."""

from __future__ import annotations

import asyncio
import json

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.service import DialogueService
from worldsmith.runtime.context import CallContext, Lane

GIVE_ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "item": {"enum": ["sword", "shield", "horseshoe"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 3},
        "note": {"type": "string", "maxLength": 12},
    },
    "required": ["item", "count"],
}


def blacksmith(**overrides) -> dialogue_pb2.Character:
    card = dialogue_pb2.Character(
        id="blacksmith",
        name="Bram",
        role="the village blacksmith",
        backstory="Bram has worked the forge by the river for thirty years.",
        personality_traits=["gruff", "honest"],
        speaking_style="Short sentences, forge metaphors.",
        example_lines=["Steel remembers every blow."],
        goals=["Sell a sword today"],
        knowledge_tags=["smithing", "village"],
        content_rating=dialogue_pb2.CONTENT_RATING_MATURE,
        language="en",
    )
    for key, value in overrides.items():
        if isinstance(value, list):
            del getattr(card, key)[:]
            getattr(card, key).extend(value)
        else:
            setattr(card, key, value)
    return card


def quartermaster() -> dialogue_pb2.Character:
    """A character with emotions and one action: its replies are structured."""
    return dialogue_pb2.Character(
        id="quartermaster",
        name="Ada",
        role="the garrison quartermaster",
        emotions=["calm", "wary", "pleased"],
        actions=[
            dialogue_pb2.ActionSpec(name="give_item", description="Hand the player an item.",
                                    arguments_schema_json=json.dumps(GIVE_ITEM_SCHEMA)),
            dialogue_pb2.ActionSpec(name="wave", description="Wave at the player."),
        ],
        content_rating=dialogue_pb2.CONTENT_RATING_MATURE,
    )


def realtime() -> CallContext:
    return CallContext(lane=Lane.REALTIME)


async def collect(stream) -> list:
    return [item async for item in stream]


def events_of(responses, kind: str) -> list:
    return [getattr(r, kind) for r in responses if r.WhichOneof("event") == kind]


async def new_session(service: DialogueService, *cards: dialogue_pb2.Character, **world_state) -> dialogue_pb2.Session:
    for card in cards:
        await service.UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(character=card), realtime())
    response = await service.CreateSession(
        dialogue_pb2.CreateSessionRequest(character_ids=[c.id for c in cards], world_state=world_state), realtime()
    )
    return response.session


class ConverseClient:
    """Drives DialogueService.Converse the way a game would: send messages, read events."""

    def __init__(self, service: DialogueService, session_id: str, character_id: str = "",
                 options: dialogue_pb2.GenerationOptions | None = None, ctx: CallContext | None = None):
        self._outgoing: asyncio.Queue = asyncio.Queue()
        self.send(start=dialogue_pb2.ConverseStart(session_id=session_id, character_id=character_id, options=options))
        self.ctx = ctx or realtime()
        self.stream = service.Converse(self._requests(), self.ctx)

    async def _requests(self):
        while (message := await self._outgoing.get()) is not None:
            yield message

    def send(self, **message) -> None:
        self._outgoing.put_nowait(dialogue_pb2.ConverseRequest(**message))

    def say(self, text: str) -> None:
        self.send(utterance=dialogue_pb2.PlayerUtterance(text=text))

    def close(self) -> None:
        self._outgoing.put_nowait(None)

    async def next(self) -> dialogue_pb2.ConverseResponse:
        return await asyncio.wait_for(self.stream.__anext__(), timeout=60)

    async def until(self, kind: str) -> list[dialogue_pb2.ConverseResponse]:
        """Responses up to and including the first of `kind`."""
        seen = []
        while True:
            response = await self.next()
            seen.append(response)
            if response.WhichOneof("event") == kind:
                return seen

    async def rest(self) -> list[dialogue_pb2.ConverseResponse]:
        return [response async for response in self.stream]
