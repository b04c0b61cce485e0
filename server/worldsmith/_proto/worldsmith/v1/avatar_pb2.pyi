from worldsmith._proto.worldsmith.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OutfitPiece(_message.Message):
    __slots__ = ("kind", "color")
    KIND_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    kind: str
    color: _common_pb2.Color
    def __init__(self, kind: _Optional[str] = ..., color: _Optional[_Union[_common_pb2.Color, _Mapping]] = ...) -> None: ...

class AvatarParameters(_message.Message):
    __slots__ = ("height_m", "build", "shoulder_width", "leg_ratio", "head_scale", "skin_tone", "hair_style", "hair_color", "eye_color", "outfit", "accessories", "femininity", "age", "muscle", "body_plan", "beard_style", "moustache_style", "facial_hair_color")
    HEIGHT_M_FIELD_NUMBER: _ClassVar[int]
    BUILD_FIELD_NUMBER: _ClassVar[int]
    SHOULDER_WIDTH_FIELD_NUMBER: _ClassVar[int]
    LEG_RATIO_FIELD_NUMBER: _ClassVar[int]
    HEAD_SCALE_FIELD_NUMBER: _ClassVar[int]
    SKIN_TONE_FIELD_NUMBER: _ClassVar[int]
    HAIR_STYLE_FIELD_NUMBER: _ClassVar[int]
    HAIR_COLOR_FIELD_NUMBER: _ClassVar[int]
    EYE_COLOR_FIELD_NUMBER: _ClassVar[int]
    OUTFIT_FIELD_NUMBER: _ClassVar[int]
    ACCESSORIES_FIELD_NUMBER: _ClassVar[int]
    FEMININITY_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    MUSCLE_FIELD_NUMBER: _ClassVar[int]
    BODY_PLAN_FIELD_NUMBER: _ClassVar[int]
    BEARD_STYLE_FIELD_NUMBER: _ClassVar[int]
    MOUSTACHE_STYLE_FIELD_NUMBER: _ClassVar[int]
    FACIAL_HAIR_COLOR_FIELD_NUMBER: _ClassVar[int]
    height_m: float
    build: float
    shoulder_width: float
    leg_ratio: float
    head_scale: float
    skin_tone: _common_pb2.Color
    hair_style: str
    hair_color: _common_pb2.Color
    eye_color: _common_pb2.Color
    outfit: _containers.RepeatedCompositeFieldContainer[OutfitPiece]
    accessories: _containers.RepeatedScalarFieldContainer[str]
    femininity: float
    age: float
    muscle: float
    body_plan: str
    beard_style: str
    moustache_style: str
    facial_hair_color: _common_pb2.Color
    def __init__(self, height_m: _Optional[float] = ..., build: _Optional[float] = ..., shoulder_width: _Optional[float] = ..., leg_ratio: _Optional[float] = ..., head_scale: _Optional[float] = ..., skin_tone: _Optional[_Union[_common_pb2.Color, _Mapping]] = ..., hair_style: _Optional[str] = ..., hair_color: _Optional[_Union[_common_pb2.Color, _Mapping]] = ..., eye_color: _Optional[_Union[_common_pb2.Color, _Mapping]] = ..., outfit: _Optional[_Iterable[_Union[OutfitPiece, _Mapping]]] = ..., accessories: _Optional[_Iterable[str]] = ..., femininity: _Optional[float] = ..., age: _Optional[float] = ..., muscle: _Optional[float] = ..., body_plan: _Optional[str] = ..., beard_style: _Optional[str] = ..., moustache_style: _Optional[str] = ..., facial_hair_color: _Optional[_Union[_common_pb2.Color, _Mapping]] = ...) -> None: ...

class AvatarDna(_message.Message):
    __slots__ = ("version", "seed", "parameters")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    version: int
    seed: int
    parameters: AvatarParameters
    def __init__(self, version: _Optional[int] = ..., seed: _Optional[int] = ..., parameters: _Optional[_Union[AvatarParameters, _Mapping]] = ...) -> None: ...

class CreateAvatarRequest(_message.Message):
    __slots__ = ("description", "parameters", "seed", "lods", "texture_size", "dna", "lane")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    LODS_FIELD_NUMBER: _ClassVar[int]
    TEXTURE_SIZE_FIELD_NUMBER: _ClassVar[int]
    DNA_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    description: str
    parameters: AvatarParameters
    seed: int
    lods: _containers.RepeatedScalarFieldContainer[float]
    texture_size: int
    dna: AvatarDna
    lane: _common_pb2.Lane
    def __init__(self, description: _Optional[str] = ..., parameters: _Optional[_Union[AvatarParameters, _Mapping]] = ..., seed: _Optional[int] = ..., lods: _Optional[_Iterable[float]] = ..., texture_size: _Optional[int] = ..., dna: _Optional[_Union[AvatarDna, _Mapping]] = ..., lane: _Optional[_Union[_common_pb2.Lane, str]] = ...) -> None: ...

class AvatarLod(_message.Message):
    __slots__ = ("ratio", "triangles", "glb")
    RATIO_FIELD_NUMBER: _ClassVar[int]
    TRIANGLES_FIELD_NUMBER: _ClassVar[int]
    GLB_FIELD_NUMBER: _ClassVar[int]
    ratio: float
    triangles: int
    glb: bytes
    def __init__(self, ratio: _Optional[float] = ..., triangles: _Optional[int] = ..., glb: _Optional[bytes] = ...) -> None: ...

class AvatarResult(_message.Message):
    __slots__ = ("glb", "lods", "humanoid_json", "unity_human_description_json", "dna", "recipe", "blend_shapes")
    GLB_FIELD_NUMBER: _ClassVar[int]
    LODS_FIELD_NUMBER: _ClassVar[int]
    HUMANOID_JSON_FIELD_NUMBER: _ClassVar[int]
    UNITY_HUMAN_DESCRIPTION_JSON_FIELD_NUMBER: _ClassVar[int]
    DNA_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    BLEND_SHAPES_FIELD_NUMBER: _ClassVar[int]
    glb: bytes
    lods: _containers.RepeatedCompositeFieldContainer[AvatarLod]
    humanoid_json: str
    unity_human_description_json: str
    dna: AvatarDna
    recipe: _common_pb2.Recipe
    blend_shapes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, glb: _Optional[bytes] = ..., lods: _Optional[_Iterable[_Union[AvatarLod, _Mapping]]] = ..., humanoid_json: _Optional[str] = ..., unity_human_description_json: _Optional[str] = ..., dna: _Optional[_Union[AvatarDna, _Mapping]] = ..., recipe: _Optional[_Union[_common_pb2.Recipe, _Mapping]] = ..., blend_shapes: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateAvatarResponse(_message.Message):
    __slots__ = ("queued", "progress", "result")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    progress: _common_pb2.Progress
    result: AvatarResult
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., progress: _Optional[_Union[_common_pb2.Progress, _Mapping]] = ..., result: _Optional[_Union[AvatarResult, _Mapping]] = ...) -> None: ...

class GetAvatarOptionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAvatarOptionsResponse(_message.Message):
    __slots__ = ("hair_styles", "outfit_kinds", "accessories", "min_height_m", "max_height_m", "max_texture_size", "body_plans", "beard_styles", "moustache_styles")
    HAIR_STYLES_FIELD_NUMBER: _ClassVar[int]
    OUTFIT_KINDS_FIELD_NUMBER: _ClassVar[int]
    ACCESSORIES_FIELD_NUMBER: _ClassVar[int]
    MIN_HEIGHT_M_FIELD_NUMBER: _ClassVar[int]
    MAX_HEIGHT_M_FIELD_NUMBER: _ClassVar[int]
    MAX_TEXTURE_SIZE_FIELD_NUMBER: _ClassVar[int]
    BODY_PLANS_FIELD_NUMBER: _ClassVar[int]
    BEARD_STYLES_FIELD_NUMBER: _ClassVar[int]
    MOUSTACHE_STYLES_FIELD_NUMBER: _ClassVar[int]
    hair_styles: _containers.RepeatedScalarFieldContainer[str]
    outfit_kinds: _containers.RepeatedScalarFieldContainer[str]
    accessories: _containers.RepeatedScalarFieldContainer[str]
    min_height_m: float
    max_height_m: float
    max_texture_size: int
    body_plans: _containers.RepeatedScalarFieldContainer[str]
    beard_styles: _containers.RepeatedScalarFieldContainer[str]
    moustache_styles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hair_styles: _Optional[_Iterable[str]] = ..., outfit_kinds: _Optional[_Iterable[str]] = ..., accessories: _Optional[_Iterable[str]] = ..., min_height_m: _Optional[float] = ..., max_height_m: _Optional[float] = ..., max_texture_size: _Optional[int] = ..., body_plans: _Optional[_Iterable[str]] = ..., beard_styles: _Optional[_Iterable[str]] = ..., moustache_styles: _Optional[_Iterable[str]] = ...) -> None: ...
