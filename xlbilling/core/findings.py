"""Findings are values: input errors and discrepancies collected through a run, never thrown."""

from __future__ import annotations

import hashlib
from functools import lru_cache
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
    subject: str = ""  # what it is about, by IDs (never rows): the same finding keeps its ID across runs
    customer_id: str | None = None
    contract_id: str | None = None
    action: str = ""  # the suggested next step, in plain words
    targets: tuple[str, ...] = ()  # billed items it concerns: "entry:ID", "charge:ID", or an item key

    @property
    def discrepancy_id(self) -> str:
        return _discrepancy_id(self.code, self.subject or self.where)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        if self.found or self.expected:
            text += f" (found {self.found or 'blank'}; expected {self.expected})"
        return text

    def as_dict(self) -> dict:
        d = self._asdict()
        if self.amount is not None:
            d["amount"] = str(self.amount)
        d["targets"] = list(self.targets)
        if self.subject:
            d["discrepancy_id"] = self.discrepancy_id
        return d


@lru_cache(maxsize=1 << 18)  # the audit asks for a finding's ID many times; a SHA-1 each time adds up
def _discrepancy_id(code: str, subject: str) -> str:
    return f"{code}-{hashlib.sha1(f'{code}|{subject}'.encode()).hexdigest()[:10].upper()}"


def input_error(where: str, message: str, found: str = "", expected: str = "") -> Finding:
    return Finding("INPUT_ERROR", ERROR, where, message, found, expected)


def not_posted(where: str, message: str, found: str = "", expected: str = "") -> Finding:
    """Why post issued nothing: the drafts are not what a close makes from the inputs now."""
    return Finding("NOT_POSTED", ERROR, where, message, found, expected)


def show(value: object) -> str:
    """A cell value as a user would recognise it in a message."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, str):
        value = value.replace("\r", "\\r").replace("\n", "\\n")  # a line break shows as \n, on one line
        return f'"{value}"' if len(value) <= 80 else f'"{value[:60]}…" ({len(value):,} characters)'
    return str(value)
