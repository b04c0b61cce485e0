@tool
## Builds a StandardMaterial3D from a generated texture variation (Connect JSON).
class_name WorldsmithTextureMaterial
extends RefCounted

## TextureMap enum name -> file name used when saving.
const FILE_NAMES := {
	"TEXTURE_MAP_ALBEDO": "albedo",
	"TEXTURE_MAP_HEIGHT": "height",
	"TEXTURE_MAP_NORMAL": "normal",
	"TEXTURE_MAP_ROUGHNESS": "roughness",
	"TEXTURE_MAP_AMBIENT_OCCLUSION": "ambient_occlusion",
	"TEXTURE_MAP_METALLIC": "metallic",
	"TEXTURE_MAP_ORM": "orm",
}


## map name -> ImageTexture for every image of the variation.
static func textures(variation: Dictionary) -> Dictionary:
	var result := {}
	for image_message in variation.get("images", []):
		var image := Image.new()
		if image.load_png_from_buffer(WorldsmithClient.bytes_field(image_message, "png")) == OK:
			result[image_message.get("map", "TEXTURE_MAP_ALBEDO")] = ImageTexture.create_from_image(
				image
			)
	return result


## A material using every map present; ORM feeds occlusion, roughness and metallic at once.
static func build(maps: Dictionary) -> StandardMaterial3D:
	var material := StandardMaterial3D.new()
	material.albedo_texture = maps.get("TEXTURE_MAP_ALBEDO")
	if maps.has("TEXTURE_MAP_NORMAL"):
		material.normal_enabled = true
		material.normal_texture = maps.TEXTURE_MAP_NORMAL
	if maps.has("TEXTURE_MAP_HEIGHT"):
		material.heightmap_enabled = true
		material.heightmap_texture = maps.TEXTURE_MAP_HEIGHT
	var orm: Texture2D = maps.get("TEXTURE_MAP_ORM")
	_channel(material, "ao", maps.get("TEXTURE_MAP_AMBIENT_OCCLUSION", orm), orm != null, 0)
	_channel(material, "roughness", maps.get("TEXTURE_MAP_ROUGHNESS", orm), orm != null, 1)
	_channel(material, "metallic", maps.get("TEXTURE_MAP_METALLIC", orm), orm != null, 2)
	return material


static func _channel(
	material: StandardMaterial3D, prefix: String, texture: Texture2D, packed: bool, channel: int
) -> void:
	if texture == null:
		return
	if prefix == "ao":
		material.ao_enabled = true
	elif prefix == "metallic":
		material.metallic = 1.0
	material.set(prefix + "_texture", texture)
	var channels := [
		BaseMaterial3D.TEXTURE_CHANNEL_RED,
		BaseMaterial3D.TEXTURE_CHANNEL_GREEN,
		BaseMaterial3D.TEXTURE_CHANNEL_BLUE,
	]
	material.set(prefix + "_texture_channel", channels[channel] if packed else channels[0])
