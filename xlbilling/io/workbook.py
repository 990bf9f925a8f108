"""Updating the master workbook file: lock it, read what a run needs, write its tabs back safely."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from collections.abc import Callable

import fastexcel

from ..core.tabs import Later, Tab
from .convert import Bad, to_date
from .package import CellEdit, write_tabs
from .reader import ReadResult, start_reading
from .safe_write import (BACKUP_DIR, BACKUPS_KEPT, check_not_open, check_unchanged, identity, replace_file,
                         workbook_lock)


@contextmanager
def locked(path: str | Path):
    """Hold the workbook for one command: no other run interleaves, Excel must not have it open."""
    path = Path(path)
    check_not_open(path)
    with workbook_lock(path):
        yield path


def write_output_tabs(path: str | Path, tabs: list[Tab | Later], edits: Sequence[CellEdit] = (),
                      backups_kept: int = BACKUPS_KEPT, progress: Callable[[str], None] | None = None,
                      seen: tuple | None = None) -> bool:
    """Write tabs (replacing or appending sheets) and cell edits into the workbook, in one atomic
    replace, keeping the last `backups_kept` versions. False when nothing changed. `seen`: the
    identity of the version the run read; the write is refused if the file is another by now."""
    path = Path(path)
    check_unchanged(path, seen)
    data = path.read_bytes()
    new = write_tabs(data, tabs, edits, progress)
    if new == data:
        return False
    if progress:
        progress(f"Checking and saving {path.name} (backup in {BACKUP_DIR})")
    replace_file(path, new, previous=data, backups_kept=backups_kept, seen=seen, inflated=True)
    return True


def read_output_rows(path: str | Path, sheet: str) -> list[tuple]:
    """The data rows of an output tab written earlier, as text (empty when the tab does not exist)."""
    reader = fastexcel.read_excel(str(path))
    if sheet not in reader.sheet_names:
        return []
    batch = reader.load_sheet_by_name(sheet, dtypes="string").to_arrow()
    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    return [tuple(row) for row in zip(*columns)]


def previous_run_log(path: str | Path) -> list[tuple]:
    rows = []
    for row in read_output_rows(path, "RunLog"):
        when = row[0] if row else None
        try:
            stamp = datetime.fromisoformat(when) if when else None
        except ValueError:
            try:
                d = to_date(when)
                stamp = datetime(d.year, d.month, d.day)
            except Bad:
                stamp = None
        rows.append((stamp, *row[1:5]))
    return rows


class FileWorkbook:
    """The master workbook as a file: locked for the run, read by the file reader, written atomically.

    The jobs take this or any object with the same methods (the open Excel book: xlbilling.excel)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        return self.path.stem

    def with_name(self, name: str) -> Path:
        """A file beside the workbook (outputs such as PDFs and reports go there)."""
        return self.path.with_name(name)

    @contextmanager
    def lock(self):
        """Held for one command; meanwhile `as_workbook` of the same path gives this very object, so the
        run's write checks the version its read saw."""
        with locked(self.path):
            key = self.path.resolve()
            _held[key] = self
            try:
                yield self.path
            finally:
                _held.pop(key, None)

    def read(self, progress=None, on_demand: Collection[str] = ()) -> ReadResult:
        """The book; its largest sheets may still be loading (ReadResult.ok waits for them), and those
        `on_demand` the tool wrote as they are load only when asked for (see start_reading)."""
        self._seen = identity(self.path)
        return start_reading(self.path, progress=progress, on_demand=on_demand)

    def previous_run_log(self) -> list[tuple]:
        return previous_run_log(self.path)

    def write(self, tabs: list[Tab | Later], edits: Sequence[CellEdit] = (), backups_kept: int = BACKUPS_KEPT,
              progress: Callable[[str], None] | None = None) -> None:
        """Into the file, which must still be the version this run read (checked again right before
        the replace): a write never lands on a version it did not read."""
        write_output_tabs(self.path, tabs, edits, backups_kept, progress, getattr(self, "_seen", None))


_held: dict[Path, FileWorkbook] = {}  # the workbooks whose lock this process holds


def as_workbook(target):
    """A workbook adapter for a path (or the adapter itself; the one holding its lock, if any)."""
    if hasattr(target, "read") and hasattr(target, "write"):
        return target
    return _held.get(Path(target).resolve()) or FileWorkbook(target)
