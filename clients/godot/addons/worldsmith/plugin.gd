@tool
## Registers the `Worldsmith` autoload, its project settings and the editor dock.
extends EditorPlugin

const AUTOLOAD := "Worldsmith"
const DOCK := preload("res://addons/worldsmith/dock.gd")

var _dock: Control


func _enter_tree() -> void:
	_add_setting(WorldsmithClient.SETTING_URL, WorldsmithClient.DEFAULT_URL, TYPE_STRING)
	_add_setting(WorldsmithClient.SETTING_API_KEY, "", TYPE_STRING)
	_add_setting(WorldsmithClient.SETTING_TIMEOUT, WorldsmithClient.DEFAULT_TIMEOUT_S, TYPE_FLOAT)
	_dock = DOCK.new()
	add_control_to_dock(DOCK_SLOT_RIGHT_UL, _dock)


func _exit_tree() -> void:
	remove_control_from_docks(_dock)
	_dock.queue_free()


func _enable_plugin() -> void:
	add_autoload_singleton(AUTOLOAD, "res://addons/worldsmith/worldsmith_client.gd")


func _disable_plugin() -> void:
	remove_autoload_singleton(AUTOLOAD)


static func _add_setting(setting: String, default_value: Variant, type: int) -> void:
	if not ProjectSettings.has_setting(setting):
		ProjectSettings.set_setting(setting, default_value)
	ProjectSettings.set_initial_value(setting, default_value)
	ProjectSettings.add_property_info({"name": setting, "type": type})
