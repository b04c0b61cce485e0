from worldsmith._proto.worldsmith.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Voice(_message.Message):
    __slots__ = ("id", "speed")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    id: str
    speed: float
    def __init__(self, id: _Optional[str] = ..., speed: _Optional[float] = ...) -> None: ...

class AudioChunk(_message.Message):
    __slots__ = ("turn_id", "pcm", "sample_rate", "start_ms")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    PCM_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    pcm: bytes
    sample_rate: int
    start_ms: float
    def __init__(self, turn_id: _Optional[str] = ..., pcm: _Optional[bytes] = ..., sample_rate: _Optional[int] = ..., start_ms: _Optional[float] = ...) -> None: ...

class VisemeEvent(_message.Message):
    __slots__ = ("turn_id", "name", "start_ms", "end_ms", "weight")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    name: str
    start_ms: float
    end_ms: float
    weight: float
    def __init__(self, turn_id: _Optional[str] = ..., name: _Optional[str] = ..., start_ms: _Optional[float] = ..., end_ms: _Optional[float] = ..., weight: _Optional[float] = ...) -> None: ...

class SpeakRequest(_message.Message):
    __slots__ = ("text", "voice", "seed", "lane")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    text: str
    voice: Voice
    seed: int
    lane: _common_pb2.Lane
    def __init__(self, text: _Optional[str] = ..., voice: _Optional[_Union[Voice, _Mapping]] = ..., seed: _Optional[int] = ..., lane: _Optional[_Union[_common_pb2.Lane, str]] = ...) -> None: ...

class SpeechSummary(_message.Message):
    __slots__ = ("voice", "sample_rate", "duration_ms", "engine", "engine_revision")
    VOICE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    ENGINE_REVISION_FIELD_NUMBER: _ClassVar[int]
    voice: str
    sample_rate: int
    duration_ms: float
    engine: str
    engine_revision: str
    def __init__(self, voice: _Optional[str] = ..., sample_rate: _Optional[int] = ..., duration_ms: _Optional[float] = ..., engine: _Optional[str] = ..., engine_revision: _Optional[str] = ...) -> None: ...

class SpeakResponse(_message.Message):
    __slots__ = ("queued", "audio", "viseme", "summary")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    VISEME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    audio: AudioChunk
    viseme: VisemeEvent
    summary: SpeechSummary
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., audio: _Optional[_Union[AudioChunk, _Mapping]] = ..., viseme: _Optional[_Union[VisemeEvent, _Mapping]] = ..., summary: _Optional[_Union[SpeechSummary, _Mapping]] = ...) -> None: ...

class ListVoicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListVoicesResponse(_message.Message):
    __slots__ = ("voices", "sample_rate")
    VOICES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    voices: _containers.RepeatedScalarFieldContainer[str]
    sample_rate: int
    def __init__(self, voices: _Optional[_Iterable[str]] = ..., sample_rate: _Optional[int] = ...) -> None: ...
