"""LiveDirector Desktop: B-roll that follows what you say, live and offline."""

__version__ = "0.1.0"
