"""The console's WebSocket: an operator's events from the database, then live from their Redis Stream."""
