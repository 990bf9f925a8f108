"""What every export wrote, remembered beside the workbook in `<workbook>.exports.csv`.

The exports only read the workbook (spec: they run while Excel has it open), so their memory is a file
of its own: one row per journal, invoice or payment exported, with the system, the date and time, the
file and, for Dynamics GP, the journal entry number it was given. An export whose range takes in
something exported before to the same system stops and says what; `--again` exports it anyway (a GP
journal keeps its number, so GP itself refuses the second copy).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..core.findings import Finding, input_error
from .safe_write import replace_file

COLUMNS = ("Exported At", "System", "Kind", "ID", "Number", "File")


class Exported(NamedTuple):
    at: str
    system: str
    kind: str  # journal, invoice or payment
    id: str
    number: int | None  # the GP journal entry number
    file: str


def log_path(workbook: Path) -> Path:
    return workbook.with_name(workbook.name + ".exports.csv")


def read_log(workbook: Path) -> tuple[list[Exported], list[Finding]]:
    """The exports remembered for the workbook (none when it has no log yet)."""
    path = log_path(workbook)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], []
    out: list[Exported] = []
    errors: list[Finding] = []
    reader = csv.reader(io.StringIO(text))
    if tuple(next(reader, ())) != COLUMNS:
        return [], [input_error(f"{path.name} line 1", "the export log's header is not the one xlbilling writes",
                                "a changed header", ", ".join(COLUMNS) + " (or delete the file to start afresh)")]
    for n, row in enumerate(reader, start=2):
        if len(row) != len(COLUMNS) or (row[4] and not row[4].isdigit()):
            errors.append(input_error(f"{path.name} line {n}", "an export log row xlbilling cannot read",
                                      ",".join(row), "a row as xlbilling wrote it"))
            continue
        out.append(Exported(row[0], row[1], row[2], row[3], int(row[4]) if row[4] else None, row[5]))
    return out, errors


def earlier(log: list[Exported], system: str, kind: str, ids: list[str]) -> list[Exported]:
    """The IDs of this export that went to the same system before (the latest record of each)."""
    wanted = set(ids)
    last = {r.id: r for r in log if r.system == system and r.kind == kind and r.id in wanted}
    return [last[i] for i in ids if i in last]


def remember(workbook: Path, log: list[Exported], system: str, kind: str, ids: list[str], out: Path,
             numbers: dict[str, int] | None = None) -> None:
    """Add this export's IDs to the log (written whole, atomically, as every file here is)."""
    at = datetime.now().isoformat(timespec="seconds")
    numbers = numbers or {}
    rows = [*log, *(Exported(at, system, kind, i, numbers.get(i), str(out)) for i in ids)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([r.at, r.system, r.kind, r.id, "" if r.number is None else r.number, r.file] for r in rows)
    replace_file(log_path(workbook), text.getvalue().encode("utf-8-sig"), check_zip=False)
