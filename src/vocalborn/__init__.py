"""VocalBorn Tasks: the asynchronous speech-analysis engine."""

__version__ = "0.1.0"
