## Plays a WorldsmithNPC's spoken turns: the audio through an AudioStreamGenerator, the visemes onto
## the face's blend shapes of the same names ("viseme_sil" ... "viseme_U"), both on the audio clock.
class_name WorldsmithNPCVoice
extends Node

## The NPC whose turns to play; its `speak` is switched on.
@export var npc: WorldsmithNPC
## Plays the voice; its stream becomes an AudioStreamGenerator at the voice's rate.
@export var player: AudioStreamPlayer
## The avatar's mesh with the viseme blend shapes (a worldsmith avatar has all 15).
@export var face: MeshInstance3D
## The server's speech rate (hibari speaks at 24 kHz).
@export var mix_rate := 24000.0
## Seconds of audio the generator holds ahead of the speakers.
@export var buffer_length := 0.5

var _playback: AudioStreamGeneratorPlayback
# The turn's samples as floats, the next one to push, and how many were pushed.
var _samples: Array = []
var _next := 0
var _pushed := 0
# [name, start_ms, end_ms, weight] per viseme of the turn.
var _visemes: Array = []


func _ready() -> void:
	var generator := AudioStreamGenerator.new()
	generator.mix_rate = mix_rate
	generator.buffer_length = buffer_length
	player.stream = generator
	player.play()
	_playback = player.get_stream_playback()
	npc.speak = true
	npc.audio.connect(_on_audio)
	npc.viseme.connect(_on_viseme)


## The player cut the NPC off: it falls silent, and the server keeps only the words heard.
func stop() -> void:
	var heard := played_ms()
	npc.interrupt()
	npc.report_heard(heard)
	_playback.clear_buffer()
	_show(-1.0)  # every shape back to rest
	_samples.clear()
	_visemes.clear()
	_next = 0
	_pushed = 0


## How much of the current turn the player has heard: pushed frames less those still buffered.
func played_ms() -> float:
	var buffered := int(mix_rate * buffer_length) - _playback.get_frames_available()
	return maxf(0.0, float(_pushed - buffered)) * 1000.0 / mix_rate


func _on_audio(pcm: PackedByteArray, _sample_rate: int, start_ms: float) -> void:
	if start_ms == 0.0:  # a new turn's first chunk
		_samples.clear()
		_visemes.clear()
		_next = 0
		_pushed = 0
	for i in range(pcm.size() / 2):
		_samples.append(pcm.decode_s16(i * 2) / 32768.0)


func _on_viseme(shape: String, start_ms: float, end_ms: float, weight: float) -> void:
	_visemes.append([shape, start_ms, end_ms, weight])


func _process(_delta: float) -> void:
	var room := _playback.get_frames_available()
	while room > 0 and _next < _samples.size():
		var value: float = _samples[_next]
		_playback.push_frame(Vector2(value, value))
		_next += 1
		_pushed += 1
		room -= 1
	_show(played_ms())


func _show(ms: float) -> void:
	if face == null:
		return
	var weights := {}
	for viseme in _visemes:
		if viseme[1] <= ms and ms < viseme[2]:
			weights[viseme[0]] = viseme[3]
		elif not weights.has(viseme[0]):
			weights[viseme[0]] = 0.0
	for shape in weights.keys():
		var index := face.find_blend_shape_by_name(shape)
		if index >= 0:
			face.set_blend_shape_value(index, weights[shape])
