"""WebSocket /wallboard/ws: the wallboard's live feed from the Redis Stream td:wallboard."""
