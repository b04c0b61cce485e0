"""worldsmith: a content server that streams NPC dialogue, textures, scenes and avatars to game engines."""

__version__ = "0.1.0"
