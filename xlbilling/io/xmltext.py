"""Small helpers for writing SpreadsheetML text safely (escaping, illegal characters, attributes)."""

from __future__ import annotations

import re

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4})_")


_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def plain(text: str) -> bool:
    """Text that cell_text leaves as it is, found without the pattern (printable text has no control
    characters): the common case, and a quick test of many texts joined."""
    return text.isprintable() and "&" not in text and "<" not in text and ">" not in text and "_x" not in text


def cell_text(text: str) -> str:
    """Escape text for a <t> element; control characters become Excel's _xHHHH_ escapes."""
    if plain(text) or not _NEEDS_ESCAPE.search(text):
        return text
    text = _ESCAPED_LOOKALIKE.sub(r"_x005F_\1_", text)
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
