"""Errors a user can act on: each carries what went wrong and what to do about it."""

from __future__ import annotations


class LiveDirectorError(Exception):
    """A failure explained to the user; the CLI prints it without a traceback."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ModelMissingError(LiveDirectorError):
    """A model file the app needs is not where the models folder says."""

    model: str = ""  # the registry name, when known: the studio offers to install it


class BadInputError(LiveDirectorError):
    """A file or value given by the user cannot be used."""
