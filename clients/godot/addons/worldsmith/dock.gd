@tool
## The editor dock: generate textures, scenes and avatars and bring them into the project.
extends VBoxContainer

const OUTPUT_DIR := "res://worldsmith"
const TEXTURE_SIZES := [256, 512, 1024, 2048]
const SCENE_KINDS := ["SCENE_KIND_INTERIOR", "SCENE_KIND_DUNGEON", "SCENE_KIND_TERRAIN"]

var client := WorldsmithClient.new()
var _running: WorldsmithCall
var _on_result: Callable

var _texture_prompt := LineEdit.new()
var _texture_size := OptionButton.new()
var _texture_tiling := CheckBox.new()
var _scene_kind := OptionButton.new()
var _scene_prompt := LineEdit.new()
var _scene_bounds := LineEdit.new()
var _scene_tag_map := EditorResourcePicker.new()
var _avatar_description := TextEdit.new()
var _seed := SpinBox.new()
var _progress := ProgressBar.new()
var _status := Label.new()
var _preview := TextureRect.new()
var _cancel := Button.new()


func _ready() -> void:
	name = "Worldsmith"
	add_child(client)
	var tabs := TabContainer.new()
	tabs.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tabs.add_child(_texture_tab())
	tabs.add_child(_scene_tab())
	tabs.add_child(_avatar_tab())
	add_child(tabs)
	_seed.max_value = 2147483647
	_seed.tooltip_text = "0: random (reported with the result)"
	add_child(_labelled("Seed", _seed))
	_progress.visible = false
	_cancel.text = "Cancel"
	_cancel.visible = false
	_cancel.pressed.connect(func() -> void: _running.cancel())
	_status.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_preview.custom_minimum_size = Vector2(128, 128)
	_preview.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	for control in [_progress, _cancel, _status, _preview]:
		add_child(control)


func _texture_tab() -> Control:
	var tab := VBoxContainer.new()
	tab.name = "Texture"
	_texture_prompt.text = "mossy cobblestones"
	for size in TEXTURE_SIZES:
		_texture_size.add_item(str(size))
	_texture_size.select(1)
	_texture_tiling.text = "Tileable"
	_texture_tiling.button_pressed = true
	tab.add_child(_labelled("Prompt", _texture_prompt))
	tab.add_child(_labelled("Size", _texture_size))
	tab.add_child(_texture_tiling)
	tab.add_child(_button("Generate", _generate_texture))
	return tab


func _scene_tab() -> Control:
	var tab := VBoxContainer.new()
	tab.name = "Scene"
	for kind in SCENE_KINDS:
		_scene_kind.add_item(kind.trim_prefix("SCENE_KIND_").capitalize())
	_scene_prompt.text = "a cosy tavern with a fireplace"
	_scene_bounds.text = "8 3 6"
	_scene_bounds.tooltip_text = "Width, height and depth in metres"
	_scene_tag_map.base_type = "WorldsmithTagMap"
	tab.add_child(_labelled("Kind", _scene_kind))
	tab.add_child(_labelled("Prompt", _scene_prompt))
	tab.add_child(_labelled("Bounds", _scene_bounds))
	tab.add_child(_labelled("Tag map", _scene_tag_map))
	tab.add_child(_button("Generate", _generate_scene))
	return tab


func _avatar_tab() -> Control:
	var tab := VBoxContainer.new()
	tab.name = "Avatar"
	_avatar_description.text = "a tall elderly blacksmith with a grey beard and a leather apron"
	_avatar_description.custom_minimum_size = Vector2(0, 64)
	_avatar_description.wrap_mode = TextEdit.LINE_WRAPPING_BOUNDARY
	tab.add_child(_avatar_description)
	tab.add_child(_button("Generate", _generate_avatar))
	return tab


func _generate_texture() -> void:
	var size: int = TEXTURE_SIZES[_texture_size.selected]
	var request := {
		"prompt": _texture_prompt.text,
		"width": size,
		"height": size,
		"seed": str(int(_seed.value)),
		"tiling": "TILING_BOTH" if _texture_tiling.button_pressed else "TILING_NONE",
		"maps":
		["TEXTURE_MAP_ALBEDO", "TEXTURE_MAP_NORMAL", "TEXTURE_MAP_HEIGHT", "TEXTURE_MAP_ORM"],
		"previewEvery": 5,
		"lane": "LANE_INTERACTIVE",
	}
	_start("worldsmith.v1.TextureService/GenerateTexture", request, _import_texture)


func _generate_scene() -> void:
	var bounds := _scene_bounds.text.split_floats(" ", false)
	if bounds.size() != 3:
		_status.text = "Bounds are three numbers in metres, e.g. 8 3 6"
		return
	var request := {
		"kind": SCENE_KINDS[_scene_kind.selected],
		"prompt": _scene_prompt.text,
		"bounds": {"x": bounds[0], "y": bounds[1], "z": bounds[2]},
		"seed": str(int(_seed.value)),
		"lane": "LANE_INTERACTIVE",
		"skipPreview": true,
	}
	_start("worldsmith.v1.SceneService/GenerateScene", request, _place_scene)


func _generate_avatar() -> void:
	var request := {
		"description": _avatar_description.text,
		"seed": str(int(_seed.value)),
		"lane": "LANE_INTERACTIVE",
	}
	_start("worldsmith.v1.AvatarService/CreateAvatar", request, _import_avatar)


func _start(method: String, request: Dictionary, on_result: Callable) -> void:
	if _running != null and not _running.is_done:
		return
	_on_result = on_result
	_status.text = "connecting"
	_progress.value = 0
	_progress.visible = true
	_cancel.visible = true
	_preview.texture = null
	_running = client.stream(method, request, 600.0)
	_running.message_received.connect(_on_event)
	_running.finished.connect(_on_finished)


# Every generation stream sends queued, progress, then one result.
func _on_event(response: Dictionary) -> void:
	if response.has("queued"):
		var queued: Dictionary = response.queued
		_status.text = "queued: %d ahead" % int(queued.get("position", 0))
	elif response.has("progress"):
		var progress: Dictionary = response.progress
		var total := float(progress.get("total", 0))
		_progress.value = 100.0 * float(progress.get("step", 0)) / total if total > 0 else 0.0
		_status.text = (
			"%s %d/%d" % [progress.get("stage", ""), int(progress.get("step", 0)), int(total)]
		)
		var png := WorldsmithClient.bytes_field(progress, "previewPng")
		var image := Image.new()
		if not png.is_empty() and image.load_png_from_buffer(png) == OK:
			_preview.texture = ImageTexture.create_from_image(image)
	elif response.has("result"):
		_status.text = _on_result.call(response.result)


func _on_finished(error: Dictionary) -> void:
	_progress.visible = false
	_cancel.visible = false
	if not error.is_empty():
		_status.text = WorldsmithClient.describe(error)


func _import_texture(result: Dictionary) -> String:
	var variation: Dictionary = result.variations[0]
	var folder := _folder("textures", _texture_prompt.text, variation.recipe.get("seed", "0"))
	for image in variation.get("images", []):
		var file_name: String = WorldsmithTextureMaterial.FILE_NAMES.get(image.map, "map")
		_write(folder.path_join(file_name + ".png"), WorldsmithClient.bytes_field(image, "png"))
	var maps := WorldsmithTextureMaterial.textures(variation)
	var material := WorldsmithTextureMaterial.build(maps)
	ResourceSaver.save(material, folder.path_join("material.res"))
	_preview.texture = maps.get("TEXTURE_MAP_ALBEDO")
	EditorInterface.get_resource_filesystem().scan()
	return "Saved %d maps and material.res in %s" % [maps.size(), folder]


func _place_scene(result: Dictionary) -> String:
	var scene_root := EditorInterface.get_edited_scene_root()
	if scene_root == null:
		return "Open a 3D scene first: the generated scene is added to it."
	var tag_map := _scene_tag_map.edited_resource as WorldsmithTagMap
	var label := (
		"%s_%s" % [_scene_kind.get_item_text(_scene_kind.selected), _slug(_scene_prompt.text)]
	)
	var built := WorldsmithSceneBuilder.build(result, tag_map, label)
	scene_root.add_child(built)
	WorldsmithSceneBuilder.own(built, scene_root)
	var quality: Dictionary = result.get("quality", {})
	return (
		"Placed %d of %d objects; %d%% of the floor is reachable."
		% [
			quality.get("objectsPlaced", 0),
			quality.get("objectsRequested", 0),
			int(100.0 * quality.get("reachableFraction", 0.0)),
		]
	)


func _import_avatar(result: Dictionary) -> String:
	var folder := _folder("avatars", _avatar_description.text, result.dna.get("seed", "0"))
	var glb := WorldsmithClient.bytes_field(result, "glb")
	_write(folder.path_join("avatar.glb"), glb)
	_write(folder.path_join("humanoid.json"), result.get("humanoidJson", "").to_utf8_buffer())
	_write(folder.path_join("dna.json"), JSON.stringify(result.dna, "  ").to_utf8_buffer())
	var bone_map := WorldsmithAvatarLoader.bone_map(result.get("humanoidJson", "{}"))
	ResourceSaver.save(bone_map, folder.path_join("bone_map.tres"))
	EditorInterface.get_resource_filesystem().scan()
	var scene_root := EditorInterface.get_edited_scene_root()
	var avatar := WorldsmithAvatarLoader.load_glb(glb)
	if scene_root != null and avatar != null:
		avatar.name = "avatar_" + _slug(_avatar_description.text)
		scene_root.add_child(avatar)
		WorldsmithSceneBuilder.own(avatar, scene_root)
	return "Saved avatar.glb and bone_map.tres in %s" % folder


func _folder(kind: String, prompt: String, seed_value: Variant) -> String:
	var folder := OUTPUT_DIR.path_join(kind).path_join("%s-%s" % [_slug(prompt), seed_value])
	DirAccess.make_dir_recursive_absolute(folder)
	return folder


static func _write(path: String, data: PackedByteArray) -> void:
	var file := FileAccess.open(path, FileAccess.WRITE)
	file.store_buffer(data)


static func _slug(text: String) -> String:
	var slug := ""
	for character in text.to_lower():
		slug += character if character.is_valid_identifier() or character.is_valid_int() else "-"
	while slug.contains("--"):
		slug = slug.replace("--", "-")
	return slug.trim_prefix("-").trim_suffix("-").left(32)


static func _labelled(text: String, control: Control) -> HBoxContainer:
	var row := HBoxContainer.new()
	var label := Label.new()
	label.text = text
	label.custom_minimum_size = Vector2(72, 0)
	control.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(label)
	row.add_child(control)
	return row


static func _button(text: String, on_pressed: Callable) -> Button:
	var button := Button.new()
	button.text = text
	button.pressed.connect(on_pressed)
	return button
