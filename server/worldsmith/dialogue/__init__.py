"""NPC dialogue: character cards, lore, sessions with memory, and streamed turns."""
