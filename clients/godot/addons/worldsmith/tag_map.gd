@tool
## Which PackedScene stands for which asset tag when a generated scene graph is instantiated.
class_name WorldsmithTagMap
extends Resource

## Tag ("bed", "table", or structural: "floor", "wall", "door", "window") -> PackedScene.
@export var scenes: Dictionary = {}
## Tags without a scene become boxes the size of their bounds (off: empty Node3Ds).
@export var placeholders := true


func find(tag: String) -> PackedScene:
	return scenes.get(tag) as PackedScene
