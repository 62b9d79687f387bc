"""python -m agi: run the FastAGI server (worker processes under one supervising parent)."""

from agi.workers import run

run()
