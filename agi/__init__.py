"""FastAGI server: Asterisk's dialplan calls these routes to run the Python IVR."""
