@tool
## Turns a generated SceneResult (as Connect JSON) into Node3Ds through a WorldsmithTagMap.
## Scene graphs use glTF's axes (right-handed, +Y up), which are Godot's: nothing is mirrored.
class_name WorldsmithSceneBuilder
extends RefCounted


## Builds the scene graph under a new Node3D named `root_name`, plus the terrain when the
## result has a heightmap. In the editor, add it to the scene, then call own() to save it.
static func build(result: Dictionary, tag_map: WorldsmithTagMap, root_name: String) -> Node3D:
	var root := Node3D.new()
	root.name = root_name
	var created := {}
	var nodes: Array = result.get("graph", {}).get("nodes", [])
	for node in nodes:
		created[node.get("id", "")] = _create_node(node, tag_map)
	# Parent after every node exists: the graph does not promise parents come first.
	for node in nodes:
		var parent: Node = created.get(node.get("parentId", ""), root)
		parent.add_child(created[node.get("id", "")])
	var heightmap: Dictionary = result.get("heightmap", {})
	if heightmap.get("resolution", 0) > 0:
		root.add_child(build_terrain(heightmap))
	return root


## A mesh and a collider from the heightmap's float32 heights (metres, row-major).
static func build_terrain(heightmap: Dictionary) -> StaticBody3D:
	var resolution := int(heightmap.resolution)
	var cell := float(heightmap.get("cellSize", 1.0))
	var heights := WorldsmithClient.bytes_field(heightmap, "rawFloat32").to_float32_array()
	var half := (resolution - 1) * cell / 2.0
	var surface := SurfaceTool.new()
	surface.begin(Mesh.PRIMITIVE_TRIANGLES)
	for z in resolution:
		for x in resolution:
			surface.set_uv(Vector2(x, z) / float(resolution - 1))
			surface.add_vertex(
				Vector3(x * cell - half, heights[z * resolution + x], z * cell - half)
			)
	for z in resolution - 1:
		for x in resolution - 1:
			var i := z * resolution + x
			for corner in [i, i + 1, i + resolution, i + 1, i + resolution + 1, i + resolution]:
				surface.add_index(corner)
	surface.generate_normals()
	var mesh := MeshInstance3D.new()
	mesh.name = "mesh"
	mesh.mesh = surface.commit()
	# Height map cells are one unit wide; scale uniformly (physics wants that) and compensate.
	var scaled_heights := PackedFloat32Array()
	for height in heights:
		scaled_heights.append(height / cell)
	var shape := HeightMapShape3D.new()
	shape.map_width = resolution
	shape.map_depth = resolution
	shape.map_data = scaled_heights
	var collider := CollisionShape3D.new()
	collider.name = "collider"
	collider.shape = shape
	collider.scale = Vector3.ONE * cell
	var body := StaticBody3D.new()
	body.name = "terrain"
	body.add_child(mesh)
	body.add_child(collider)
	return body


static func _create_node(node: Dictionary, tag_map: WorldsmithTagMap) -> Node3D:
	var tag: String = node.get("tag", "")
	var scene := tag_map.find(tag) if tag_map != null else null
	var created: Node3D
	if scene != null:
		created = scene.instantiate() as Node3D
	else:
		created = Node3D.new()
		if tag_map == null or tag_map.placeholders:
			created.add_child(_placeholder(node))
	created.name = "%s_%s" % [tag, node.get("id", "")]
	created.set_meta("worldsmith_id", node.get("id", ""))
	created.set_meta("worldsmith_tag", tag)
	created.set_meta("worldsmith_properties", node.get("properties", {}))
	created.transform = _transform(node.get("transform", {}))
	return created


# A box filling the node's world bounds, placed relative to the node's own position.
static func _placeholder(node: Dictionary) -> MeshInstance3D:
	var low := _vec3(node.get("boundsMin", {}), Vector3.ZERO)
	var high := _vec3(node.get("boundsMax", {}), Vector3.ZERO)
	var box := BoxMesh.new()
	box.size = (high - low).abs()
	var mesh := MeshInstance3D.new()
	mesh.name = "placeholder"
	mesh.mesh = box
	var origin := _vec3(node.get("transform", {}).get("position", {}), Vector3.ZERO)
	mesh.position = (low + high) / 2.0 - origin
	return mesh


static func _transform(source: Dictionary) -> Transform3D:
	var rotation := Quaternion.IDENTITY
	if source.has("rotation"):
		var r: Dictionary = source.rotation
		rotation = Quaternion(r.get("x", 0.0), r.get("y", 0.0), r.get("z", 0.0), r.get("w", 0.0))
		rotation = rotation.normalized() if rotation.length() > 0.0 else Quaternion.IDENTITY
	var scale := _vec3(source.get("scale", {}), Vector3.ONE) if source.has("scale") else Vector3.ONE
	var basis := Basis(rotation) * Basis.from_scale(scale)
	return Transform3D(basis, _vec3(source.get("position", {}), Vector3.ZERO))


static func _vec3(value: Dictionary, fallback: Vector3) -> Vector3:
	if value.is_empty():
		return fallback
	return Vector3(value.get("x", 0.0), value.get("y", 0.0), value.get("z", 0.0))


## Makes `node` and what build() created under it part of the scene `owner` (its ancestor),
## so the editor saves them.
static func own(node: Node, owner: Node) -> void:
	for child in node.get_children():
		child.owner = owner
		# Nodes inside an instanced scene belong to that scene, not to ours.
		if child.scene_file_path.is_empty():
			own(child, owner)
	node.owner = owner
