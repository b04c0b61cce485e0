## Demo: the server generates a room, and a blacksmith in it answers what you type.
extends Node3D

const BLACKSMITH := {
	"id": "blacksmith",
	"name": "Brenna",
	"role": "village blacksmith",
	"backstory": "Forged blades for the old king's guard before settling in Millbrook.",
	"personalityTraits": ["gruff", "generous", "proud of her work"],
	"speakingStyle": "short sentences, smithing metaphors",
	"emotions": ["neutral", "happy", "annoyed"],
	"actions":
	[
		{
			"name": "give_item",
			"description": "Hand the player an item from the forge.",
			"argumentsSchemaJson":
			'{"type":"object","properties":{"item":{"type":"string"}},"required":["item"]}',
		}
	],
	"contentRating": "CONTENT_RATING_EVERYONE",
	"language": "en",
}
const ROOM := {
	"kind": "SCENE_KIND_INTERIOR",
	"prompt": "a blacksmith's workshop with an anvil, a forge and a workbench",
	"bounds": {"x": 8, "y": 3, "z": 6},
	"seed": "7",
	"interior": {"doors": 1, "windows": 2},
	"skipPreview": true,
}

var inventory: PackedStringArray = []
var _log := RichTextLabel.new()
var _input := LineEdit.new()
var _emotion := Label.new()

@onready var npc: WorldsmithNPC = $Blacksmith


func _ready() -> void:
	_build_ui()
	npc.text_delta.connect(func(text: String) -> void: _log.add_text(text))
	npc.emotion.connect(func(emotion: String) -> void: _emotion.text = emotion)
	npc.action.connect(_on_action)
	npc.turn_completed.connect(func(_text: String, _reason: String) -> void: _log.newline())
	npc.failed.connect(
		func(error: Dictionary) -> void: _say_system(WorldsmithClient.describe(error))
	)

	var stored := await Worldsmith.unary(
		"worldsmith.v1.DialogueService/UpsertCharacter", {"character": BLACKSMITH}
	)
	if not stored.error.is_empty():
		var reason := WorldsmithClient.describe(stored.error)
		_say_system("Is the server running with --http-port 8080? " + reason)
		return
	var room := Worldsmith.stream("worldsmith.v1.SceneService/GenerateScene", ROOM, 60.0)
	room.message_received.connect(_on_room_event)
	room.finished.connect(func(error: Dictionary) -> void: _on_room_finished(error))


func _on_room_event(response: Dictionary) -> void:
	if response.has("progress"):
		_say_system("building the room: %s" % response.progress.get("stage", ""))
	elif response.has("result"):
		add_child(WorldsmithSceneBuilder.build(response.result, null, "Room"))


func _on_room_finished(error: Dictionary) -> void:
	if error.is_empty():
		_say_system("Brenna is at her forge. Say something.")
	else:
		_say_system("The room could not be built: " + WorldsmithClient.describe(error))


func _on_action(action_name: String, arguments: Dictionary, call_id: String) -> void:
	if action_name != "give_item":
		npc.report_action_result(call_id, action_name, false, "this game has no such action")
		return
	inventory.append(arguments.get("item", "something"))
	_say_system("You receive: " + arguments.get("item", "something"))
	npc.report_action_result(call_id, action_name, true, '{"received": "%s"}' % inventory[-1])


func _on_submit(text: String) -> void:
	if text.strip_edges().is_empty():
		return
	_input.clear()
	_log.append_text("\n[b]You:[/b] %s\n[b]Brenna:[/b] " % text)
	npc.say(text)


func _say_system(text: String) -> void:
	_log.append_text("\n[i]%s[/i]\n" % text)


func _build_ui() -> void:
	var layer := CanvasLayer.new()
	var panel := VBoxContainer.new()
	panel.set_anchors_and_offsets_preset(Control.PRESET_BOTTOM_WIDE)
	panel.custom_minimum_size = Vector2(0, 220)
	panel.offset_top = -220
	_log.bbcode_enabled = true
	_log.scroll_following = true
	_log.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_input.placeholder_text = "Say something to Brenna and press Enter"
	_input.text_submitted.connect(_on_submit)
	panel.add_child(_emotion)
	panel.add_child(_log)
	panel.add_child(_input)
	layer.add_child(panel)
	add_child(layer)
