"""The `livedirector` command, one module per group of commands; heavy libraries load only
inside the commands that use them."""

from __future__ import annotations

from livedirector_desktop.cli.common import app, main

# Importing the modules registers their commands on the apps, in this order in --help.
# isort: off
from livedirector_desktop.cli import models, library, talk, live, sessions  # noqa: F401

# isort: on

__all__ = ["app", "main"]
