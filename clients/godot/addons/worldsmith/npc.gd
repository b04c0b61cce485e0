## A character the player talks to. Each turn streams from DialogueService.Say into signals.
## say() or react() while the NPC still speaks interrupts it; freeing the node cancels the turn.
class_name WorldsmithNPC
extends Node

## Text as the NPC generates it; append to a speech bubble.
signal text_delta(text: String)
## The NPC's emotion changed, e.g. "happy"; drive an animation or a portrait.
signal emotion(name: String)
## The NPC asks the game to do something. Do it, then call report_action_result().
signal action(name: String, arguments: Dictionary, call_id: String)
## The turn ended. `reason` is a TurnEndReason name, e.g. "TURN_END_REASON_COMPLETED".
signal turn_completed(text: String, reason: String)
## The turn failed; `error` has "code" and "message".
signal failed(error: Dictionary)
## With `speak`: a stretch of the NPC's voice, PCM16 mono little-endian at `sample_rate`,
## starting `start_ms` into the turn's audio. Push it to an AudioStreamGenerator's playback.
signal audio(pcm: PackedByteArray, sample_rate: int, start_ms: float)
## With `speak`: a mouth shape, the avatar's blend shape `name` ("viseme_aa" ...) at `weight`
## from `start_ms` to `end_ms` of the turn's audio.
signal viseme(name: String, start_ms: float, end_ms: float, weight: float)

const SAY := "worldsmith.v1.DialogueService/Say"
const CREATE_SESSION := "worldsmith.v1.DialogueService/CreateSession"
const REPORT_HEARD := "worldsmith.v1.DialogueService/ReportHeard"

## Character id as stored on the server (DialogueService/UpsertCharacter).
@export var character_id := ""
## Empty: a session is created on the first turn. Keep it in your save game.
@export var session_id := ""
@export var player_id := "player"
@export var turn_timeout_s := 30.0
## Ask for each turn spoken: `audio` and `viseme` beside `text_delta`
## (the server needs a speech model).
@export var speak := false
## The client to use (empty: the `Worldsmith` autoload).
@export var client: WorldsmithClient

var current_emotion := "neutral"
## The turn most recently started (its audio may still be playing after it completed).
var last_turn_id := ""
var _turn: WorldsmithCall
# Action outcomes reported while the NPC speaks; told to it when the turn ends.
var _pending_outcomes: PackedStringArray = []


func is_speaking() -> bool:
	return _turn != null and not _turn.is_done


## The player says something.
func say(utterance: String) -> void:
	_start_turn({"utterance": utterance})


## Something happened in the world that the NPC should react to.
func react(event_description: String) -> void:
	_start_turn({"event": {"description": event_description}})


## Stops the NPC mid-sentence; the server keeps what was delivered.
func interrupt() -> void:
	if is_speaking():
		_turn.cancel()


## The player cut a spoken turn short after `played_ms` of its audio: the server keeps only the
## words heard by then (WorldsmithNPCVoice.stop() calls this).
func report_heard(played_ms: float) -> void:
	if last_turn_id.is_empty():
		return
	var request := {"sessionId": session_id, "turnId": last_turn_id, "audioPlayedMs": int(played_ms)}
	var reported := await _client().unary(REPORT_HEARD, request)
	if not reported.error.is_empty():
		failed.emit(reported.error)


## Tells the NPC how an action went; it reacts in its next turn.
func report_action_result(
	call_id: String, action_name: String, success: bool, result := ""
) -> void:
	var outcome := "succeeded" if success else "failed"
	_pending_outcomes.append(
		"The action %s (call %s) %s: %s" % [action_name, call_id, outcome, result]
	)
	if not is_speaking():
		_tell_pending_outcomes()


func _exit_tree() -> void:
	interrupt()


func _client() -> WorldsmithClient:
	return client if client != null else get_node("/root/Worldsmith") as WorldsmithClient


func _start_turn(request: Dictionary) -> void:
	interrupt()
	if session_id.is_empty():
		var created := await _client().unary(
			CREATE_SESSION, {"playerId": player_id, "characterIds": [character_id]}
		)
		if not created.error.is_empty():
			failed.emit(created.error)
			return
		session_id = created.messages[0].session.id
	request["sessionId"] = session_id
	request["characterId"] = character_id
	if speak:
		request["speech"] = {"enabled": true}
	var turn := _client().stream(SAY, request, turn_timeout_s)
	_turn = turn
	turn.message_received.connect(_on_event)
	turn.finished.connect(_on_turn_finished.bind(turn))


func _on_event(response: Dictionary) -> void:
	if response.has("turnStarted"):
		last_turn_id = response.turnStarted.get("turnId", "")
	elif response.has("textDelta"):
		text_delta.emit(response.textDelta.get("text", ""))
	elif response.has("emotion"):
		current_emotion = response.emotion.get("emotion", "neutral")
		emotion.emit(current_emotion)
	elif response.has("actionCall"):
		var call_event: Dictionary = response.actionCall
		var arguments: Variant = JSON.parse_string(call_event.get("argumentsJson", "{}"))
		action.emit(
			call_event.get("name", ""),
			arguments if arguments is Dictionary else {},
			call_event.get("callId", "")
		)
	elif response.has("audio"):
		var chunk: Dictionary = response.audio
		audio.emit(
			Marshalls.base64_to_raw(chunk.get("pcm", "")),
			int(chunk.get("sampleRate", 0)),
			float(chunk.get("startMs", 0.0))
		)
	elif response.has("viseme"):
		var shape: Dictionary = response.viseme
		viseme.emit(
			shape.get("name", ""),
			float(shape.get("startMs", 0.0)),
			float(shape.get("endMs", 0.0)),
			float(shape.get("weight", 0.0))
		)
	elif response.has("turnCompleted"):
		var completed: Dictionary = response.turnCompleted
		turn_completed.emit(
			completed.get("text", ""), completed.get("reason", "TURN_END_REASON_UNSPECIFIED")
		)


func _on_turn_finished(error: Dictionary, turn: WorldsmithCall) -> void:
	if turn != _turn:
		return
	_turn = null
	if error.is_empty():
		_tell_pending_outcomes()
	elif error.get("code") != "canceled":
		failed.emit(error)


func _tell_pending_outcomes() -> void:
	if _pending_outcomes.is_empty():
		return
	var description := "\n".join(_pending_outcomes)
	_pending_outcomes.clear()
	react(description)
