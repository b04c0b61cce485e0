@tool
## Loads a generated avatar: the GLB through GLTFDocument, and a humanoid BoneMap for
## retargeting from the VRM-style `humanoid_json` sidecar.
class_name WorldsmithAvatarLoader
extends RefCounted


## The avatar as a node tree (Skeleton3D, skinned meshes, blend shapes), built from GLB bytes.
static func load_glb(glb: PackedByteArray) -> Node3D:
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	if document.append_from_buffer(glb, "", state) != OK:
		push_error("worldsmith: the avatar GLB could not be read")
		return null
	return document.generate_scene(state) as Node3D


## A BoneMap on Godot's humanoid profile from {"humanBones": {"hips": {"node": "hips"}, ...}}:
## VRM bone names ("leftUpperArm") are the profile's names with a lower-case first letter.
## Assign it in the GLB's import settings (Skeleton3D > Retarget) to share animations.
static func bone_map(humanoid_json: String) -> BoneMap:
	var parsed: Variant = JSON.parse_string(humanoid_json)
	var bones: Dictionary = parsed.get("humanBones", {}) if parsed is Dictionary else {}
	var map := BoneMap.new()
	map.profile = SkeletonProfileHumanoid.new()
	for vrm_name in bones:
		var profile_name: String = vrm_name.substr(0, 1).to_upper() + vrm_name.substr(1)
		var bone: Variant = bones[vrm_name]
		var skeleton_name: String = bone.get("node", "") if bone is Dictionary else str(bone)
		if map.profile.find_bone(profile_name) >= 0 and not skeleton_name.is_empty():
			map.set_skeleton_bone_name(profile_name, skeleton_name)
	return map
