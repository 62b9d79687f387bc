"""Call recordings: naming, storage, integrity, transcription and retention."""
