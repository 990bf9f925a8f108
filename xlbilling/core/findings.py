"""Findings are values: input errors and discrepancies collected through a run, never thrown."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
INFO = "info"


class Finding(NamedTuple):
    """One thing a billing specialist must know about, pointing at the cell it concerns."""

    code: str
    severity: str
    where: str  # "Sheet!Cell", or "Sheet" when no single cell is at fault
    message: str
    found: str = ""
    expected: str = ""
    amount: Decimal | None = None

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        if self.found or self.expected:
            text += f" (found {self.found or 'blank'}; expected {self.expected})"
        return text

    def as_dict(self) -> dict:
        d = self._asdict()
        if self.amount is not None:
            d["amount"] = str(self.amount)
        return d


def input_error(where: str, message: str, found: str = "", expected: str = "") -> Finding:
    return Finding("INPUT_ERROR", ERROR, where, message, found, expected)


def show(value: object) -> str:
    """A cell value as a user would recognise it in a message."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
