"""How every job runs: hold the workbook, read it whole and valid, do the work, write once.

`with_book` refuses with every input error (nothing written); `write_run` writes the output tabs
and the run log in one atomic replace; `stage` reports progress.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from .core.findings import Finding
from .core.models import Book
from .core.runlog import run_log_tab
from .core.tabs import Later, Tab
from .io import forked
from .io.package import Apart, CellEdit, render_apart, write_tabs
from .io.reader import Loaded, ReadResult, complete, gc_paused, read_book
from .io.workbook import FileWorkbook, as_workbook


Progress = Callable[[str], None]

@dataclass
class JobResult:
    ok: bool
    errors: list[Finding] = field(default_factory=list)  # input errors or a refusal: nothing was written
    summary: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # for --json

class Read(NamedTuple):
    """What a job's work gets: the book read whole and valid (but the `later` sheets of with_book), the
    rows read per sheet, and what the job's `ahead` worked out while the background sheets loaded (None
    when it did not run)."""

    book: Book
    row_counts: Mapping[str, int]
    early: Any = None
    rest: ReadResult | None = None  # the read, while `later` sheets still load
    seals: Mapping[str, str] = MappingProxyType({})  # sheet -> digest: sheets as this tool wrote them

    def whole(self) -> Loaded:
        """The book with the `later` sheets too, once they have loaded (or the input errors they have)."""
        return complete(self.rest) if self.rest is not None else Loaded(self.book, [], self.row_counts)

def _read(path, progress: Progress | None, on_demand: tuple[str, ...]) -> ReadResult:
    if progress:
        progress(f"Reading {path.name}")
    return path.read((lambda sheet: progress(f"Reading {sheet}")) if progress else None, on_demand)

def with_book(path, progress: Progress | None, work: Callable[[Read], JobResult],
              ahead: Callable[[Book], object] | None = None, pause_gc: bool = True, writes: bool = True,
              later: tuple[str, ...] = ()) -> JobResult:
    """Hold the workbook, read it, and run the work, or refuse with the input errors (nothing written).

    `path`: a workbook file, or an adapter of the open Excel book (the same jobs run in both).
    `ahead`, if given, runs on the book while its largest sheets still load (reader.BACKGROUND: it must not need them);
    its result is passed to the work. `pause_gc`: the cyclic collector rests for the run, as suits
    jobs that build millions of plain values; jobs that build documents keep it (their objects
    hold cycles). `writes`: False for the read-only commands, which take no lock and work while Excel
    has the book open (every write replaces the file whole, so a read always sees one version).
    `later`: background sheets the work waits for itself (Read.whole), when it first needs them; one
    sealed (Read.seals: as this tool wrote it) is read only then, if the work needs it at all."""
    path = as_workbook(path)
    with path.lock() if writes else nullcontext(), gc_paused() if pause_gc else nullcontext():
        reading = _read(path, progress, later)
        loaded = complete(reading, ahead, later)
        if loaded.book is None or loaded.errors:
            return refused(loaded, path)
        read = Read(loaded.book, loaded.row_counts, loaded.early, reading if reading.pending else None,
                    MappingProxyType(reading.seals))
        del loaded, reading
        result = work(read)
        if read.rest is not None:
            read.rest.settle()  # a work that ended early leaves no read of the file behind
        del read  # freed while the collector rests: it would walk every object of the run once more
        return result

def refused(read: Loaded, path: Path) -> JobResult:
    return JobResult(False, read.errors, [f"{path.name}: {len(read.errors)} input error(s); fix these cells and run "
                                          "again (nothing was written):"])

APART_FROM = 20_000  # rows: tabs made later this large are made and rendered in a second process
APART_MEMORY = 1 << 30  # bytes: a process holding more forks no copy (its pages would cost more than the time)


@contextmanager
def alongside(path, later: Later, rows: int) -> Iterator[Later]:
    """`later`, whose tabs (about `rows` rows) a second process makes and renders while this one goes on,
    where that pays: a workbook file (not the open Excel book), on a system that forks (forked.py), tabs
    large enough and a process small enough. Elsewhere `later` itself, made as it is written."""
    target = as_workbook(path)
    if (not isinstance(target, FileWorkbook) or not forked.available() or rows < APART_FROM
            or forked.resident() > APART_MEMORY):
        yield later
        return
    file = target.path
    with forked.forked(lambda: render_apart(file.read_bytes(), later)) as result:
        yield Apart(later.names, later.make, later.hidden, result)

def write_run(path, book: Book, command: str, arguments: str, tabs: Sequence[Tab | Later], summary: list[str],
              counts: str, edits: Sequence[CellEdit] = (), progress: Progress | None = None) -> None:
    path = as_workbook(path)
    log = run_log_tab(path.previous_run_log(), datetime.now(), command, arguments, counts,
                      summary[0] if summary else "")
    path.write([*tabs, log], edits, book.settings.backups_kept, progress)

def would_be_valid(path, tabs: list[Tab], edits: Sequence[CellEdit]) -> list[Finding]:
    """The input errors the workbook would have after writing these tabs and edits (read from a scratch
    copy), for an import to refuse before it writes."""
    target = as_workbook(path)
    if not hasattr(target, "path"):
        return []  # the open Excel book: it validates on the next run
    data = write_tabs(target.path.read_bytes(), tabs, edits)
    fd, scratch = tempfile.mkstemp(suffix=target.path.suffix, prefix=f"xlbilling-{os.getpid()}-import-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return read_book(scratch).errors
    finally:
        os.unlink(scratch)


def stage(progress: Progress | None, what: str) -> None:
    if progress:
        progress(what)
