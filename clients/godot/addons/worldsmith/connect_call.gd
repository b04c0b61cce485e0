@tool
## One Connect-protocol call over HTTPClient (HTTP/1.1) with JSON bodies: a unary call, or a
## server stream read chunk by chunk and split into enveloped messages as they arrive.
class_name WorldsmithCall
extends RefCounted

## A response message (a server stream sends many, a unary call one).
signal message_received(message: Dictionary)
## The call ended: `error` is empty on success, else {"code", "message", "details"} as the
## Connect protocol defines them (code is e.g. "invalid_argument", "unauthenticated").
signal finished(error: Dictionary)

const UNARY_CONTENT_TYPE := "application/json"
const STREAM_CONTENT_TYPE := "application/connect+json"
const PROTOCOL_VERSION := "1"
const USER_AGENT := "worldsmith-godot/0.1"
# Without a matching Connect error body, the HTTP status decides the code (Connect spec).
const HTTP_STATUS_CODES := {
	400: "internal",
	401: "unauthenticated",
	403: "permission_denied",
	404: "unimplemented",
	429: "unavailable",
	502: "unavailable",
	503: "unavailable",
	504: "unavailable",
}

## "worldsmith.v1.TextureService/GenerateTexture".
var method: String
var streaming: bool
var is_done := false
## Empty while running and after success.
var error: Dictionary = {}
## Every message received, in order (for a unary call, the response is messages[0]).
var messages: Array[Dictionary] = []

var _http := HTTPClient.new()
var _envelopes := WorldsmithEnvelope.new()
var _deadline_msec := 0


func _init(rpc_method: String, server_streaming: bool) -> void:
	method = rpc_method
	streaming = server_streaming


## The request's header lines, in the order HTTPClient writes them (it then adds Host and
## Content-Length itself).
static func request_headers(
	server_streaming: bool, api_key: String, timeout_ms: int
) -> PackedStringArray:
	var headers := PackedStringArray()
	if server_streaming:
		headers.append("Content-Type: " + STREAM_CONTENT_TYPE)
		headers.append("Connect-Accept-Encoding: identity")
	else:
		headers.append("Content-Type: " + UNARY_CONTENT_TYPE)
		headers.append("Accept-Encoding: identity")
	headers.append("Connect-Protocol-Version: " + PROTOCOL_VERSION)
	if timeout_ms > 0:
		headers.append("Connect-Timeout-Ms: " + str(timeout_ms))
	if not api_key.is_empty():
		headers.append("Authorization: Bearer " + api_key)
	headers.append("User-Agent: " + USER_AGENT)
	headers.append("Accept: */*")
	return headers


## The request body: the JSON message, enveloped for streams.
static func request_body(server_streaming: bool, request: Dictionary) -> PackedByteArray:
	var json := JSON.stringify(request).to_utf8_buffer()
	return WorldsmithEnvelope.encode(json) if server_streaming else json


## Starts the call; listen to `message_received` and `finished` (or await `finished`).
func start(base_url: String, api_key: String, request: Dictionary, timeout_s: float) -> void:
	var timeout_ms := int(timeout_s * 1000.0)
	_deadline_msec = Time.get_ticks_msec() + timeout_ms if timeout_ms > 0 else 0
	_run(
		base_url, request_headers(streaming, api_key, timeout_ms), request_body(streaming, request)
	)


## Stops the call; closing the connection tells the server to stop the work too.
func cancel() -> void:
	_finish({"code": "canceled", "message": "cancelled by the client"})


func _run(base_url: String, headers: PackedStringArray, body: PackedByteArray) -> void:
	# Let the caller connect to the signals before anything can be emitted.
	await _frame()
	var url := _split_url(base_url)
	if url.is_empty():
		_finish(
			{"code": "invalid_argument", "message": "server URL must look like http://host:port"}
		)
	elif await _open(url) and await _send(url.prefix + "/" + method, headers, body):
		await _receive()


func _open(url: Dictionary) -> bool:
	var tls: TLSOptions = TLSOptions.client() if url.tls else null
	if _http.connect_to_host(url.host, url.port, tls) == OK:
		while _http.get_status() in [HTTPClient.STATUS_RESOLVING, HTTPClient.STATUS_CONNECTING]:
			if not await _poll():
				return false
	if _http.get_status() != HTTPClient.STATUS_CONNECTED:
		_finish(
			{"code": "unavailable", "message": "cannot connect to %s:%d" % [url.host, url.port]}
		)
		return false
	return true


func _send(path: String, headers: PackedStringArray, body: PackedByteArray) -> bool:
	if _http.request_raw(HTTPClient.METHOD_POST, path, headers, body) == OK:
		while _http.get_status() == HTTPClient.STATUS_REQUESTING:
			if not await _poll():
				return false
	if not _http.has_response():
		_finish({"code": "unavailable", "message": "the server closed the connection unanswered"})
		return false
	return true


func _receive() -> void:
	var status := _http.get_response_code()
	if streaming and status == 200:
		await _read_stream()
		return
	var response := await _read_all()
	if is_done:
		return
	if status == 200:
		_deliver(JSON.parse_string(response.get_string_from_utf8()))
		_finish({})
	else:
		_finish(_error_from_body(status, response))


# Reads the body as it arrives and hands out each message as soon as its envelope is whole.
func _read_stream() -> void:
	while not is_done and _http.get_status() == HTTPClient.STATUS_BODY:
		var chunk := _http.read_response_body_chunk()
		if chunk.is_empty():
			if not await _poll():
				return
			continue
		for envelope in _envelopes.feed(chunk):
			var payload: Variant = JSON.parse_string(envelope.data.get_string_from_utf8())
			if envelope.flags & WorldsmithEnvelope.FLAG_END_STREAM:
				var end: Dictionary = payload if payload is Dictionary else {}
				_finish(end.get("error", {}))
				return
			_deliver(payload)
	if not is_done:
		_finish({"code": "unavailable", "message": "the stream ended without its end message"})


func _read_all() -> PackedByteArray:
	var response := PackedByteArray()
	while not is_done and _http.get_status() == HTTPClient.STATUS_BODY:
		var chunk := _http.read_response_body_chunk()
		if chunk.is_empty():
			if not await _poll():
				break
		else:
			response.append_array(chunk)
	return response


func _deliver(message: Variant) -> void:
	if is_done or not (message is Dictionary):
		return
	messages.append(message)
	message_received.emit(message)


func _error_from_body(status: int, body: PackedByteArray) -> Dictionary:
	var parsed: Variant = JSON.parse_string(body.get_string_from_utf8())
	if parsed is Dictionary and parsed.has("code"):
		return parsed
	return {"code": HTTP_STATUS_CODES.get(status, "unknown"), "message": "HTTP %d" % status}


# One frame of waiting; false once the call has ended (cancelled or past its deadline).
func _poll() -> bool:
	_http.poll()
	if is_done:
		return false
	if _deadline_msec > 0 and Time.get_ticks_msec() > _deadline_msec:
		_finish(
			{"code": "deadline_exceeded", "message": "the deadline passed before the call finished"}
		)
		return false
	await _frame()
	return not is_done


func _finish(call_error: Dictionary) -> void:
	if is_done:
		return
	is_done = true
	error = call_error
	_http.close()
	finished.emit(error)


func _frame() -> void:
	await (Engine.get_main_loop() as SceneTree).process_frame


# "https://host:8443/prefix" -> {host, port, tls, prefix}; {} when it is not a URL.
static func _split_url(base_url: String) -> Dictionary:
	var tls := base_url.begins_with("https://")
	if not tls and not base_url.begins_with("http://"):
		return {}
	var rest := base_url.substr(8 if tls else 7)
	var slash := rest.find("/")
	var authority := rest if slash < 0 else rest.substr(0, slash)
	var prefix := "" if slash < 0 else rest.substr(slash).trim_suffix("/")
	var colon := authority.rfind(":")
	var host := authority if colon < 0 else authority.substr(0, colon)
	var port := (443 if tls else 80) if colon < 0 else authority.substr(colon + 1).to_int()
	return {"host": host, "port": port, "tls": tls, "prefix": prefix}
