"""The RunLog tab: one row per command run (when, command, arguments, counts, result)."""

from __future__ import annotations

from datetime import datetime

from .tabs import DATETIME, TEXT, Column, Tab

COLUMNS = (Column("When", DATETIME, 18), Column("Command", TEXT, 12), Column("Arguments", TEXT, 30),
           Column("Counts", TEXT, 60), Column("Result", TEXT, 50))
KEPT_RUNS = 2000


def run_log_tab(previous: list[tuple], when: datetime, command: str, arguments: str, counts: str, result: str) -> Tab:
    """The previous rows (oldest first) with this run appended; the oldest are dropped past KEPT_RUNS."""
    rows = [*previous, (when.replace(microsecond=0), command, arguments, counts, result)]
    return Tab("RunLog", COLUMNS, rows[-KEPT_RUNS:], tab_color="FF7F7F7F")
