"""Speech: text read aloud with a viseme track, through the resident speech engine."""
