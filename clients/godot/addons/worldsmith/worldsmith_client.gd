@tool
## The worldsmith client: calls the server's HTTP/1.1 listener with the Connect protocol.
## Registered as the `Worldsmith` autoload by the plugin; the editor dock makes its own.
class_name WorldsmithClient
extends Node

const SETTING_URL := "worldsmith/server/url"
const SETTING_API_KEY := "worldsmith/server/api_key"
const SETTING_TIMEOUT := "worldsmith/server/timeout_s"
const DEFAULT_URL := "http://127.0.0.1:8080"
const DEFAULT_TIMEOUT_S := 30.0

## The listener's base URL (`server.http_port`), e.g. "http://127.0.0.1:8080".
var base_url: String = ProjectSettings.get_setting(SETTING_URL, DEFAULT_URL)
## Sent as "Authorization: Bearer KEY"; the WORLDSMITH_API_KEY environment variable wins.
var api_key: String = _api_key()
## Deadline of calls that pass none, in seconds (0: none).
var timeout_s: float = ProjectSettings.get_setting(SETTING_TIMEOUT, DEFAULT_TIMEOUT_S)


## A unary call. Await it: `var reply := await Worldsmith.unary("worldsmith.v1.AdminService/
## GetServerInfo", {})`, then read `reply.error` (empty on success) and `reply.messages[0]`.
func unary(method: String, request: Dictionary, call_timeout_s: float = -1.0) -> WorldsmithCall:
	var rpc_call := WorldsmithCall.new(method, false)
	rpc_call.start(base_url, api_key, request, _timeout(call_timeout_s))
	await rpc_call.finished
	return rpc_call


## A server stream. Connect to `message_received` and `finished` on the returned call;
## `cancel()` stops it (and the server's work).
func stream(method: String, request: Dictionary, call_timeout_s: float = -1.0) -> WorldsmithCall:
	var rpc_call := WorldsmithCall.new(method, true)
	rpc_call.start(base_url, api_key, request, _timeout(call_timeout_s))
	return rpc_call


## "code: message" for an error dictionary, for logs and labels.
static func describe(error: Dictionary) -> String:
	if error.is_empty():
		return "ok"
	return "%s: %s" % [error.get("code", "unknown"), error.get("message", "")]


## Decodes a proto `bytes` field as JSON carries it (base64).
static func bytes_field(message: Dictionary, field: String) -> PackedByteArray:
	return Marshalls.base64_to_raw(message.get(field, ""))


func _timeout(call_timeout_s: float) -> float:
	return timeout_s if call_timeout_s < 0.0 else call_timeout_s


static func _api_key() -> String:
	var from_env := OS.get_environment("WORLDSMITH_API_KEY")
	if not from_env.is_empty():
		return from_env
	return ProjectSettings.get_setting(SETTING_API_KEY, "")
