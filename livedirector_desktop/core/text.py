"""Text from files and users, made safe to show on a terminal."""

from __future__ import annotations

import re

# C0 and C1 control characters and DEL: a file name or a sidecar title holding ESC
# sequences could otherwise recolour, move or clear the user's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match) -> str:
    ch = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}")


def printable(text: object, keep_newlines: bool = False) -> str:
    """`text` with control characters written as escapes (\\x1b, \\n): one visible line."""
    pattern = _CONTROL_KEEP_LINES if keep_newlines else _CONTROL
    return pattern.sub(_escape, str(text))
