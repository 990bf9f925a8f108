"""Cell references: column letters and `Sheet!A1` names, shared by the reader, writers and findings."""

from __future__ import annotations

import re

_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def column_letter(index: int) -> str:
    """0-based column index to letters: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def split_ref(ref: str) -> tuple[int, int]:
    """`F7` -> (row 7, column index 5)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref}")
    return int(m.group(2)), column_index(m.group(1))


def quote_sheet(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


def cell_name(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{column_letter(col)}{row}"
