"""Textures: tileable PBR material sets from text, by diffusion or procedural presets."""
