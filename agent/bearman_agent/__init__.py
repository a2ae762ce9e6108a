"""Bearman's first-stage agent: registers a server and deploys its OS."""

__version__ = "0.1.0"
