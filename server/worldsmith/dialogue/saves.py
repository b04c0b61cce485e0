"""Session save blobs: a compact, versioned encoding of a session for the game's save file.

Layout: b"WSDS" | format version (1 byte) | zlib(deflate) of the Session message.
The KV cache is never stored; the next turn rebuilds it from the turns and summary.
"""

from __future__ import annotations

import zlib

from google.protobuf.message import DecodeError

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.errors import InvalidArgument

MAGIC = b"WSDS"
FORMAT_VERSION = 1
MAX_SESSION_BYTES = 16 * 1024 * 1024


def export_blob(session: dialogue_pb2.Session) -> bytes:
    payload = session.SerializeToString(deterministic=True)
    return MAGIC + bytes([FORMAT_VERSION]) + zlib.compress(payload, 9)


def import_blob(blob: bytes) -> dialogue_pb2.Session:
    """Decode a blob from `export_blob`; a foreign, newer or damaged blob is InvalidArgument("blob")."""
    if len(blob) < len(MAGIC) + 1 or not blob.startswith(MAGIC):
        raise InvalidArgument("blob", "is not a worldsmith session blob (pass the bytes ExportSession returned)")
    version = blob[len(MAGIC)]
    if version != FORMAT_VERSION:
        raise InvalidArgument("blob", f"has format version {version}; this server reads version {FORMAT_VERSION}")
    decompressor = zlib.decompressobj()
    try:
        payload = decompressor.decompress(blob[len(MAGIC) + 1 :], MAX_SESSION_BYTES)
    except zlib.error as error:
        raise InvalidArgument("blob", f"is damaged ({error})") from None
    if decompressor.unconsumed_tail:
        raise InvalidArgument("blob", f"holds more than {MAX_SESSION_BYTES} bytes of session")
    if not decompressor.eof:
        raise InvalidArgument("blob", "is truncated")
    session = dialogue_pb2.Session()
    try:
        session.ParseFromString(payload)
    except DecodeError as error:
        raise InvalidArgument("blob", f"is damaged ({error})") from None
    return session
