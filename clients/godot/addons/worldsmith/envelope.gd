@tool
## Connect/gRPC-Web envelopes: 1 flag byte, a 4-byte big-endian length, then the message.
class_name WorldsmithEnvelope
extends RefCounted

const FLAG_COMPRESSED := 0x01
const FLAG_END_STREAM := 0x02
const HEADER_SIZE := 5

var _buffer := PackedByteArray()


## Wraps one message for a streaming request body.
static func encode(payload: PackedByteArray, flags: int = 0) -> PackedByteArray:
	var length := payload.size()
	var envelope := PackedByteArray(
		[flags, (length >> 24) & 0xFF, (length >> 16) & 0xFF, (length >> 8) & 0xFF, length & 0xFF]
	)
	envelope.append_array(payload)
	return envelope


## Adds bytes as they arrive (any chunking) and returns the envelopes now complete,
## each as {"flags": int, "data": PackedByteArray}. Partial envelopes wait for more bytes.
func feed(chunk: PackedByteArray) -> Array[Dictionary]:
	_buffer.append_array(chunk)
	var complete: Array[Dictionary] = []
	var offset := 0
	while _buffer.size() - offset >= HEADER_SIZE:
		var length := (
			(_buffer[offset + 1] << 24)
			| (_buffer[offset + 2] << 16)
			| (_buffer[offset + 3] << 8)
			| _buffer[offset + 4]
		)
		var end := offset + HEADER_SIZE + length
		if _buffer.size() < end:
			break
		complete.append(
			{"flags": _buffer[offset], "data": _buffer.slice(offset + HEADER_SIZE, end)}
		)
		offset = end
	_buffer = _buffer.slice(offset)
	return complete


## Bytes received that do not yet form a whole envelope.
func pending_bytes() -> int:
	return _buffer.size()
