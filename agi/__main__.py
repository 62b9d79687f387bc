"""python -m agi: run the FastAGI server."""

from agi.server import run

run()
