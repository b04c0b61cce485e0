"""Bad requests with many problems still come back as INVALID_ARGUMENT: the reported violations are capped."""

from __future__ import annotations

import grpc
import pytest

from harness import auth, bad_request_fields, rich_status
from worldsmith._proto.worldsmith.v1 import avatar_pb2, avatar_pb2_grpc, dialogue_pb2, dialogue_pb2_grpc
from worldsmith.errors import MAX_DESCRIPTION_CHARS, MAX_REPORTED_VIOLATIONS, InvalidArgument


def test_many_violations_report_the_first_ones_and_count_the_rest():
    error = InvalidArgument.many([(f"items[{i}]", "is wrong " + "x" * 10_000) for i in range(100_000)])
    assert len(error.violations) == MAX_REPORTED_VIOLATIONS + 1
    assert [field for field, _ in error.violations[:3]] == ["items[0]", "items[1]", "items[2]"]
    assert "99980 more" in error.violations[-1][1]
    assert all(len(description) <= MAX_DESCRIPTION_CHARS for _, description in error.violations)
    assert len(error.message) < 1000


def test_one_long_description_is_shortened():
    error = InvalidArgument("name", "x" * 100_000)
    assert len(error.violations[0][1]) == MAX_DESCRIPTION_CHARS


async def expect_invalid_argument(call) -> list[str]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, raised.value.details()
    assert len(rich_status(raised.value).SerializeToString()) < 8192
    return bad_request_fields(raised.value)


async def test_a_card_with_every_action_wrong_is_invalid_argument(channel):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    actions = [dialogue_pb2.ActionSpec(name=f"bad-name-{i}-" + "x" * 200, arguments_schema_json="[]") for i in range(64)]
    card = dialogue_pb2.Character(id="smith", name="Bram", actions=actions)
    fields = await expect_invalid_argument(stub.UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(character=card), metadata=auth("editor")))
    assert fields[0] == "character.actions[0].name" and len(fields) == MAX_REPORTED_VIOLATIONS + 1


async def test_an_avatar_with_a_hundred_unknown_accessories_is_invalid_argument(channel):
    stub = avatar_pb2_grpc.AvatarServiceStub(channel)
    parameters = avatar_pb2.AvatarParameters(accessories=[f"no_such_accessory_{i}" for i in range(100)])

    async def create():
        async for _ in stub.CreateAvatar(avatar_pb2.CreateAvatarRequest(parameters=parameters), metadata=auth("runtime")):
            pass

    fields = await expect_invalid_argument(create())
    assert fields[0] == "parameters.accessories[0]"
