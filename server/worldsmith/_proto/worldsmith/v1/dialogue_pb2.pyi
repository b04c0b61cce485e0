from worldsmith._proto.worldsmith.v1 import common_pb2 as _common_pb2
from worldsmith._proto.worldsmith.v1 import speech_pb2 as _speech_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContentRating(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTENT_RATING_UNSPECIFIED: _ClassVar[ContentRating]
    CONTENT_RATING_EVERYONE: _ClassVar[ContentRating]
    CONTENT_RATING_TEEN: _ClassVar[ContentRating]
    CONTENT_RATING_MATURE: _ClassVar[ContentRating]

class LoreVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LORE_VISIBILITY_UNSPECIFIED: _ClassVar[LoreVisibility]
    LORE_VISIBILITY_GLOBAL: _ClassVar[LoreVisibility]
    LORE_VISIBILITY_FACTION: _ClassVar[LoreVisibility]
    LORE_VISIBILITY_QUEST_STATE: _ClassVar[LoreVisibility]

class TurnEndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TURN_END_REASON_UNSPECIFIED: _ClassVar[TurnEndReason]
    TURN_END_REASON_COMPLETED: _ClassVar[TurnEndReason]
    TURN_END_REASON_MAX_TOKENS: _ClassVar[TurnEndReason]
    TURN_END_REASON_STOP_SEQUENCE: _ClassVar[TurnEndReason]
    TURN_END_REASON_CANCELLED: _ClassVar[TurnEndReason]
    TURN_END_REASON_INTERRUPTED: _ClassVar[TurnEndReason]
CONTENT_RATING_UNSPECIFIED: ContentRating
CONTENT_RATING_EVERYONE: ContentRating
CONTENT_RATING_TEEN: ContentRating
CONTENT_RATING_MATURE: ContentRating
LORE_VISIBILITY_UNSPECIFIED: LoreVisibility
LORE_VISIBILITY_GLOBAL: LoreVisibility
LORE_VISIBILITY_FACTION: LoreVisibility
LORE_VISIBILITY_QUEST_STATE: LoreVisibility
TURN_END_REASON_UNSPECIFIED: TurnEndReason
TURN_END_REASON_COMPLETED: TurnEndReason
TURN_END_REASON_MAX_TOKENS: TurnEndReason
TURN_END_REASON_STOP_SEQUENCE: TurnEndReason
TURN_END_REASON_CANCELLED: TurnEndReason
TURN_END_REASON_INTERRUPTED: TurnEndReason

class ActionSpec(_message.Message):
    __slots__ = ("name", "description", "arguments_schema_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    arguments_schema_json: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., arguments_schema_json: _Optional[str] = ...) -> None: ...

class Character(_message.Message):
    __slots__ = ("id", "name", "role", "backstory", "personality_traits", "speaking_style", "example_lines", "goals", "emotions", "actions", "knowledge_tags", "content_rating", "language", "faction", "languages", "voice")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    BACKSTORY_FIELD_NUMBER: _ClassVar[int]
    PERSONALITY_TRAITS_FIELD_NUMBER: _ClassVar[int]
    SPEAKING_STYLE_FIELD_NUMBER: _ClassVar[int]
    EXAMPLE_LINES_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    EMOTIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_TAGS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_RATING_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FACTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    role: str
    backstory: str
    personality_traits: _containers.RepeatedScalarFieldContainer[str]
    speaking_style: str
    example_lines: _containers.RepeatedScalarFieldContainer[str]
    goals: _containers.RepeatedScalarFieldContainer[str]
    emotions: _containers.RepeatedScalarFieldContainer[str]
    actions: _containers.RepeatedCompositeFieldContainer[ActionSpec]
    knowledge_tags: _containers.RepeatedScalarFieldContainer[str]
    content_rating: ContentRating
    language: str
    faction: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    voice: _speech_pb2.Voice
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., backstory: _Optional[str] = ..., personality_traits: _Optional[_Iterable[str]] = ..., speaking_style: _Optional[str] = ..., example_lines: _Optional[_Iterable[str]] = ..., goals: _Optional[_Iterable[str]] = ..., emotions: _Optional[_Iterable[str]] = ..., actions: _Optional[_Iterable[_Union[ActionSpec, _Mapping]]] = ..., knowledge_tags: _Optional[_Iterable[str]] = ..., content_rating: _Optional[_Union[ContentRating, str]] = ..., language: _Optional[str] = ..., faction: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., voice: _Optional[_Union[_speech_pb2.Voice, _Mapping]] = ...) -> None: ...

class LoreEntry(_message.Message):
    __slots__ = ("id", "title", "text", "tags", "visibility", "faction", "quest_flag")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    FACTION_FIELD_NUMBER: _ClassVar[int]
    QUEST_FLAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    text: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    visibility: LoreVisibility
    faction: str
    quest_flag: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., visibility: _Optional[_Union[LoreVisibility, str]] = ..., faction: _Optional[str] = ..., quest_flag: _Optional[str] = ...) -> None: ...

class UpsertCharacterRequest(_message.Message):
    __slots__ = ("character",)
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    character: Character
    def __init__(self, character: _Optional[_Union[Character, _Mapping]] = ...) -> None: ...

class UpsertCharacterResponse(_message.Message):
    __slots__ = ("character", "created")
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    character: Character
    created: bool
    def __init__(self, character: _Optional[_Union[Character, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetCharacterRequest(_message.Message):
    __slots__ = ("character_id",)
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    character_id: str
    def __init__(self, character_id: _Optional[str] = ...) -> None: ...

class GetCharacterResponse(_message.Message):
    __slots__ = ("character",)
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    character: Character
    def __init__(self, character: _Optional[_Union[Character, _Mapping]] = ...) -> None: ...

class ListCharactersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCharactersResponse(_message.Message):
    __slots__ = ("characters", "next_page_token")
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    characters: _containers.RepeatedCompositeFieldContainer[Character]
    next_page_token: str
    def __init__(self, characters: _Optional[_Iterable[_Union[Character, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteCharacterRequest(_message.Message):
    __slots__ = ("character_id",)
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    character_id: str
    def __init__(self, character_id: _Optional[str] = ...) -> None: ...

class DeleteCharacterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertLoreRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LoreEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[LoreEntry, _Mapping]]] = ...) -> None: ...

class UpsertLoreResponse(_message.Message):
    __slots__ = ("upserted",)
    UPSERTED_FIELD_NUMBER: _ClassVar[int]
    upserted: int
    def __init__(self, upserted: _Optional[int] = ...) -> None: ...

class ListLoreRequest(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: str
    def __init__(self, tag: _Optional[str] = ...) -> None: ...

class ListLoreResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LoreEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[LoreEntry, _Mapping]]] = ...) -> None: ...

class DeleteLoreRequest(_message.Message):
    __slots__ = ("lore_id",)
    LORE_ID_FIELD_NUMBER: _ClassVar[int]
    lore_id: str
    def __init__(self, lore_id: _Optional[str] = ...) -> None: ...

class DeleteLoreResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Turn(_message.Message):
    __slots__ = ("turn_id", "speaker", "text", "interrupted", "created_unix_ms")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    speaker: str
    text: str
    interrupted: bool
    created_unix_ms: int
    def __init__(self, turn_id: _Optional[str] = ..., speaker: _Optional[str] = ..., text: _Optional[str] = ..., interrupted: _Optional[bool] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "player_id", "character_ids", "world_state", "turns", "summary")
    class WorldStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PLAYER_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    WORLD_STATE_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    id: str
    player_id: str
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    world_state: _containers.ScalarMap[str, str]
    turns: _containers.RepeatedCompositeFieldContainer[Turn]
    summary: str
    def __init__(self, id: _Optional[str] = ..., player_id: _Optional[str] = ..., character_ids: _Optional[_Iterable[str]] = ..., world_state: _Optional[_Mapping[str, str]] = ..., turns: _Optional[_Iterable[_Union[Turn, _Mapping]]] = ..., summary: _Optional[str] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("session_id", "player_id", "character_ids", "world_state")
    class WorldStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PLAYER_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    WORLD_STATE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    player_id: str
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    world_state: _containers.ScalarMap[str, str]
    def __init__(self, session_id: _Optional[str] = ..., player_id: _Optional[str] = ..., character_ids: _Optional[_Iterable[str]] = ..., world_state: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class DeleteSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class DeleteSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ExportSessionResponse(_message.Message):
    __slots__ = ("blob", "format_version")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    blob: bytes
    format_version: int
    def __init__(self, blob: _Optional[bytes] = ..., format_version: _Optional[int] = ...) -> None: ...

class ImportSessionRequest(_message.Message):
    __slots__ = ("blob", "session_id")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    blob: bytes
    session_id: str
    def __init__(self, blob: _Optional[bytes] = ..., session_id: _Optional[str] = ...) -> None: ...

class ImportSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class GenerationOptions(_message.Message):
    __slots__ = ("seed", "max_new_tokens", "temperature", "top_p", "stop_sequences")
    SEED_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    STOP_SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    seed: int
    max_new_tokens: int
    temperature: float
    top_p: float
    stop_sequences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, seed: _Optional[int] = ..., max_new_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., stop_sequences: _Optional[_Iterable[str]] = ...) -> None: ...

class GameEvent(_message.Message):
    __slots__ = ("description", "world_state")
    class WorldStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    WORLD_STATE_FIELD_NUMBER: _ClassVar[int]
    description: str
    world_state: _containers.ScalarMap[str, str]
    def __init__(self, description: _Optional[str] = ..., world_state: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SpeechOptions(_message.Message):
    __slots__ = ("enabled",)
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    def __init__(self, enabled: _Optional[bool] = ...) -> None: ...

class SayRequest(_message.Message):
    __slots__ = ("session_id", "character_id", "utterance", "event", "options", "lane", "speech")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    SPEECH_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    character_id: str
    utterance: str
    event: GameEvent
    options: GenerationOptions
    lane: _common_pb2.Lane
    speech: SpeechOptions
    def __init__(self, session_id: _Optional[str] = ..., character_id: _Optional[str] = ..., utterance: _Optional[str] = ..., event: _Optional[_Union[GameEvent, _Mapping]] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., lane: _Optional[_Union[_common_pb2.Lane, str]] = ..., speech: _Optional[_Union[SpeechOptions, _Mapping]] = ...) -> None: ...

class TurnStarted(_message.Message):
    __slots__ = ("turn_id", "character_id")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    character_id: str
    def __init__(self, turn_id: _Optional[str] = ..., character_id: _Optional[str] = ...) -> None: ...

class TextDelta(_message.Message):
    __slots__ = ("turn_id", "utterance_index", "text")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    utterance_index: int
    text: str
    def __init__(self, turn_id: _Optional[str] = ..., utterance_index: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class EmotionChanged(_message.Message):
    __slots__ = ("turn_id", "emotion")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    emotion: str
    def __init__(self, turn_id: _Optional[str] = ..., emotion: _Optional[str] = ...) -> None: ...

class ActionCall(_message.Message):
    __slots__ = ("turn_id", "call_id", "name", "arguments_json")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    call_id: str
    name: str
    arguments_json: str
    def __init__(self, turn_id: _Optional[str] = ..., call_id: _Optional[str] = ..., name: _Optional[str] = ..., arguments_json: _Optional[str] = ...) -> None: ...

class TurnCompleted(_message.Message):
    __slots__ = ("turn_id", "interrupted", "reason", "prompt_tokens", "completion_tokens", "time_to_first_token_ms", "text", "audio_duration_ms")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_MS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AUDIO_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    interrupted: bool
    reason: TurnEndReason
    prompt_tokens: int
    completion_tokens: int
    time_to_first_token_ms: float
    text: str
    audio_duration_ms: float
    def __init__(self, turn_id: _Optional[str] = ..., interrupted: _Optional[bool] = ..., reason: _Optional[_Union[TurnEndReason, str]] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., time_to_first_token_ms: _Optional[float] = ..., text: _Optional[str] = ..., audio_duration_ms: _Optional[float] = ...) -> None: ...

class SayResponse(_message.Message):
    __slots__ = ("queued", "turn_started", "text_delta", "emotion", "action_call", "turn_completed", "audio", "viseme")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    TURN_STARTED_FIELD_NUMBER: _ClassVar[int]
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    ACTION_CALL_FIELD_NUMBER: _ClassVar[int]
    TURN_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    VISEME_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    turn_started: TurnStarted
    text_delta: TextDelta
    emotion: EmotionChanged
    action_call: ActionCall
    turn_completed: TurnCompleted
    audio: _speech_pb2.AudioChunk
    viseme: _speech_pb2.VisemeEvent
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., turn_started: _Optional[_Union[TurnStarted, _Mapping]] = ..., text_delta: _Optional[_Union[TextDelta, _Mapping]] = ..., emotion: _Optional[_Union[EmotionChanged, _Mapping]] = ..., action_call: _Optional[_Union[ActionCall, _Mapping]] = ..., turn_completed: _Optional[_Union[TurnCompleted, _Mapping]] = ..., audio: _Optional[_Union[_speech_pb2.AudioChunk, _Mapping]] = ..., viseme: _Optional[_Union[_speech_pb2.VisemeEvent, _Mapping]] = ...) -> None: ...

class ReportHeardRequest(_message.Message):
    __slots__ = ("session_id", "turn_id", "audio_played_ms")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PLAYED_MS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    turn_id: str
    audio_played_ms: int
    def __init__(self, session_id: _Optional[str] = ..., turn_id: _Optional[str] = ..., audio_played_ms: _Optional[int] = ...) -> None: ...

class ReportHeardResponse(_message.Message):
    __slots__ = ("turn",)
    TURN_FIELD_NUMBER: _ClassVar[int]
    turn: Turn
    def __init__(self, turn: _Optional[_Union[Turn, _Mapping]] = ...) -> None: ...

class ConverseStart(_message.Message):
    __slots__ = ("session_id", "character_id", "options", "speech")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SPEECH_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    character_id: str
    options: GenerationOptions
    speech: SpeechOptions
    def __init__(self, session_id: _Optional[str] = ..., character_id: _Optional[str] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., speech: _Optional[_Union[SpeechOptions, _Mapping]] = ...) -> None: ...

class PlayerUtterance(_message.Message):
    __slots__ = ("text", "character_id", "audio_played_ms")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PLAYED_MS_FIELD_NUMBER: _ClassVar[int]
    text: str
    character_id: str
    audio_played_ms: int
    def __init__(self, text: _Optional[str] = ..., character_id: _Optional[str] = ..., audio_played_ms: _Optional[int] = ...) -> None: ...

class ActionResult(_message.Message):
    __slots__ = ("call_id", "success", "result_json")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    success: bool
    result_json: str
    def __init__(self, call_id: _Optional[str] = ..., success: _Optional[bool] = ..., result_json: _Optional[str] = ...) -> None: ...

class CancelTurn(_message.Message):
    __slots__ = ("turn_id", "audio_played_ms")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIO_PLAYED_MS_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    audio_played_ms: int
    def __init__(self, turn_id: _Optional[str] = ..., audio_played_ms: _Optional[int] = ...) -> None: ...

class ConverseRequest(_message.Message):
    __slots__ = ("start", "utterance", "event", "action_result", "cancel")
    START_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    ACTION_RESULT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    start: ConverseStart
    utterance: PlayerUtterance
    event: GameEvent
    action_result: ActionResult
    cancel: CancelTurn
    def __init__(self, start: _Optional[_Union[ConverseStart, _Mapping]] = ..., utterance: _Optional[_Union[PlayerUtterance, _Mapping]] = ..., event: _Optional[_Union[GameEvent, _Mapping]] = ..., action_result: _Optional[_Union[ActionResult, _Mapping]] = ..., cancel: _Optional[_Union[CancelTurn, _Mapping]] = ...) -> None: ...

class ConverseResponse(_message.Message):
    __slots__ = ("queued", "turn_started", "text_delta", "emotion", "action_call", "turn_completed", "audio", "viseme")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    TURN_STARTED_FIELD_NUMBER: _ClassVar[int]
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    ACTION_CALL_FIELD_NUMBER: _ClassVar[int]
    TURN_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    VISEME_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    turn_started: TurnStarted
    text_delta: TextDelta
    emotion: EmotionChanged
    action_call: ActionCall
    turn_completed: TurnCompleted
    audio: _speech_pb2.AudioChunk
    viseme: _speech_pb2.VisemeEvent
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., turn_started: _Optional[_Union[TurnStarted, _Mapping]] = ..., text_delta: _Optional[_Union[TextDelta, _Mapping]] = ..., emotion: _Optional[_Union[EmotionChanged, _Mapping]] = ..., action_call: _Optional[_Union[ActionCall, _Mapping]] = ..., turn_completed: _Optional[_Union[TurnCompleted, _Mapping]] = ..., audio: _Optional[_Union[_speech_pb2.AudioChunk, _Mapping]] = ..., viseme: _Optional[_Union[_speech_pb2.VisemeEvent, _Mapping]] = ...) -> None: ...
