from google.protobuf import struct_pb2 as _struct_pb2
from worldsmith._proto.worldsmith.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Tiling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TILING_UNSPECIFIED: _ClassVar[Tiling]
    TILING_NONE: _ClassVar[Tiling]
    TILING_X: _ClassVar[Tiling]
    TILING_Y: _ClassVar[Tiling]
    TILING_BOTH: _ClassVar[Tiling]

class TextureMap(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEXTURE_MAP_UNSPECIFIED: _ClassVar[TextureMap]
    TEXTURE_MAP_ALBEDO: _ClassVar[TextureMap]
    TEXTURE_MAP_HEIGHT: _ClassVar[TextureMap]
    TEXTURE_MAP_NORMAL: _ClassVar[TextureMap]
    TEXTURE_MAP_ROUGHNESS: _ClassVar[TextureMap]
    TEXTURE_MAP_AMBIENT_OCCLUSION: _ClassVar[TextureMap]
    TEXTURE_MAP_METALLIC: _ClassVar[TextureMap]
    TEXTURE_MAP_ORM: _ClassVar[TextureMap]

class NormalConvention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NORMAL_CONVENTION_UNSPECIFIED: _ClassVar[NormalConvention]
    NORMAL_CONVENTION_OPENGL: _ClassVar[NormalConvention]
    NORMAL_CONVENTION_DIRECTX: _ClassVar[NormalConvention]

class ImageFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMAGE_FORMAT_UNSPECIFIED: _ClassVar[ImageFormat]
    IMAGE_FORMAT_PNG8: _ClassVar[ImageFormat]
    IMAGE_FORMAT_PNG16: _ClassVar[ImageFormat]
TILING_UNSPECIFIED: Tiling
TILING_NONE: Tiling
TILING_X: Tiling
TILING_Y: Tiling
TILING_BOTH: Tiling
TEXTURE_MAP_UNSPECIFIED: TextureMap
TEXTURE_MAP_ALBEDO: TextureMap
TEXTURE_MAP_HEIGHT: TextureMap
TEXTURE_MAP_NORMAL: TextureMap
TEXTURE_MAP_ROUGHNESS: TextureMap
TEXTURE_MAP_AMBIENT_OCCLUSION: TextureMap
TEXTURE_MAP_METALLIC: TextureMap
TEXTURE_MAP_ORM: TextureMap
NORMAL_CONVENTION_UNSPECIFIED: NormalConvention
NORMAL_CONVENTION_OPENGL: NormalConvention
NORMAL_CONVENTION_DIRECTX: NormalConvention
IMAGE_FORMAT_UNSPECIFIED: ImageFormat
IMAGE_FORMAT_PNG8: ImageFormat
IMAGE_FORMAT_PNG16: ImageFormat

class GenerateTextureRequest(_message.Message):
    __slots__ = ("prompt", "negative_prompt", "width", "height", "seed", "steps", "guidance_scale", "model", "tiling", "maps", "normal_convention", "init_image", "strength", "variations", "format", "preview_every", "preset", "preset_parameters", "lane")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_SCALE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TILING_FIELD_NUMBER: _ClassVar[int]
    MAPS_FIELD_NUMBER: _ClassVar[int]
    NORMAL_CONVENTION_FIELD_NUMBER: _ClassVar[int]
    INIT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    VARIATIONS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_EVERY_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    PRESET_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    negative_prompt: str
    width: int
    height: int
    seed: int
    steps: int
    guidance_scale: float
    model: str
    tiling: Tiling
    maps: _containers.RepeatedScalarFieldContainer[TextureMap]
    normal_convention: NormalConvention
    init_image: bytes
    strength: float
    variations: int
    format: ImageFormat
    preview_every: int
    preset: str
    preset_parameters: _struct_pb2.Struct
    lane: _common_pb2.Lane
    def __init__(self, prompt: _Optional[str] = ..., negative_prompt: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., seed: _Optional[int] = ..., steps: _Optional[int] = ..., guidance_scale: _Optional[float] = ..., model: _Optional[str] = ..., tiling: _Optional[_Union[Tiling, str]] = ..., maps: _Optional[_Iterable[_Union[TextureMap, str]]] = ..., normal_convention: _Optional[_Union[NormalConvention, str]] = ..., init_image: _Optional[bytes] = ..., strength: _Optional[float] = ..., variations: _Optional[int] = ..., format: _Optional[_Union[ImageFormat, str]] = ..., preview_every: _Optional[int] = ..., preset: _Optional[str] = ..., preset_parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., lane: _Optional[_Union[_common_pb2.Lane, str]] = ...) -> None: ...

class SeamScore(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class TextureImage(_message.Message):
    __slots__ = ("map", "png", "width", "height", "bit_depth", "seam")
    MAP_FIELD_NUMBER: _ClassVar[int]
    PNG_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    SEAM_FIELD_NUMBER: _ClassVar[int]
    map: TextureMap
    png: bytes
    width: int
    height: int
    bit_depth: int
    seam: SeamScore
    def __init__(self, map: _Optional[_Union[TextureMap, str]] = ..., png: _Optional[bytes] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., bit_depth: _Optional[int] = ..., seam: _Optional[_Union[SeamScore, _Mapping]] = ...) -> None: ...

class TextureVariation(_message.Message):
    __slots__ = ("images", "recipe")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[TextureImage]
    recipe: _common_pb2.Recipe
    def __init__(self, images: _Optional[_Iterable[_Union[TextureImage, _Mapping]]] = ..., recipe: _Optional[_Union[_common_pb2.Recipe, _Mapping]] = ...) -> None: ...

class TextureResult(_message.Message):
    __slots__ = ("variations", "cached", "generation_seconds")
    VARIATIONS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    GENERATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    variations: _containers.RepeatedCompositeFieldContainer[TextureVariation]
    cached: bool
    generation_seconds: float
    def __init__(self, variations: _Optional[_Iterable[_Union[TextureVariation, _Mapping]]] = ..., cached: _Optional[bool] = ..., generation_seconds: _Optional[float] = ...) -> None: ...

class GenerateTextureResponse(_message.Message):
    __slots__ = ("queued", "progress", "result")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    progress: _common_pb2.Progress
    result: TextureResult
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., progress: _Optional[_Union[_common_pb2.Progress, _Mapping]] = ..., result: _Optional[_Union[TextureResult, _Mapping]] = ...) -> None: ...

class ListTextureBackendsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ProceduralPreset(_message.Message):
    __slots__ = ("name", "keywords", "default_parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    keywords: _containers.RepeatedScalarFieldContainer[str]
    default_parameters: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., keywords: _Optional[_Iterable[str]] = ..., default_parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListTextureBackendsResponse(_message.Message):
    __slots__ = ("models", "presets", "default_model")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedScalarFieldContainer[str]
    presets: _containers.RepeatedCompositeFieldContainer[ProceduralPreset]
    default_model: str
    def __init__(self, models: _Optional[_Iterable[str]] = ..., presets: _Optional[_Iterable[_Union[ProceduralPreset, _Mapping]]] = ..., default_model: _Optional[str] = ...) -> None: ...
