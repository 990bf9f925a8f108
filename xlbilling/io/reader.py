"""The one reader: a master workbook file becomes typed records that remember their cells.

Sheets are read columnar (fastexcel, every cell as its text) and validated column by column:
each distinct value of a column is converted once, and every cell holding a bad value is
named. Excel error values, formulas without a calculated value, missing sheets and columns,
blank required cells, duplicate IDs and unknown references are all input errors, collected
together; nothing is raised for a user's mistake.
"""

from __future__ import annotations

import gc
import importlib.abc
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from collections.abc import Callable, Collection, Mapping

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.cells import cell_name, split_ref
from ..core.findings import Finding, input_error, show
from ..core.integrity import check_integrity
from ..core.models import RECORD_TYPES, Book, Settings
from ..core.timetable import FIELDS, Coded, TimeTable
from ..schema import INVOICE_LINES, LEDGER_SHEETS, POSTED_INVOICES, SETTINGS, SHEETS, Col, Kind, SheetSpec, normalize
from .convert import EXCEL_ERRORS, Bad, cell_text, convert
from .package import Package, PackageError
from .settings import parse_settings
from .safe_write import sweep_leftovers
from .sheet_parts import FIRST_VALUE_ROW, Uncuttable, cut_sheet


def _pyarrow_without_pandas() -> None:
    """pyarrow asks whether pandas is installed the first time it meets a Python value (any pa.array,
    pa.scalar, or compute call given a plain number), and to ask it imports the whole of pandas: 0.1-0.2 s,
    more than reading a small book takes. Nothing here hands pyarrow a pandas object or wants one back,
    so unless pandas is loaded already (xlwings loads it in Excel), pyarrow is told there is none: its
    one attempt to import it, made here, fails. (pandas itself stays importable.)"""
    if "pandas" in sys.modules:
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.scalar(0)
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas(importlib.abc.MetaPathFinder):
    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not offered to pyarrow", name=name)
        return None


_pyarrow_without_pandas()

MIN_PART_BYTES = 32 << 20  # a large sheet's XML is read in row ranges of at least this size (part_count)
MAX_PARTS = 8
_PARALLEL_ROWS = 50_000  # a sheet this long has its columns encoded on two threads
_ERROR_NAMES = {
    "NA": "#N/A", "Ref": "#REF!", "Value": "#VALUE!", "Div0": "#DIV/0!", "Name": "#NAME?",
    "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA",
}


@dataclass
class ReadResult:
    """A read book and every input error. The BACKGROUND sheets of a file may still be loading
    (`ready` is False): `ok` and `finish()` wait for them; `book` can be used before."""

    book: Book | None
    errors: list[Finding] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    pending: dict[str, _Pending] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)  # sheets that could not be read (their errors say why)
    seals: dict[str, str] = field(default_factory=dict)  # sheet -> digest: sheets as this tool wrote them (seals.py)

    @property
    def ready(self) -> bool:
        return not self.pending

    @property
    def ok(self) -> bool:
        self.finish()
        return self.book is not None and not self.errors

    def finish(self, later: Collection[str] = ()) -> None:
        """Wait for the sheets read in the background (but those named `later`, which go on loading
        unless there are errors: then every error of the run is waited for); their errors join the
        others, their records a new book (a book never changes). A book with errors is not given out."""
        loaded: dict[str, _Sheet] = {}
        for name in [n for n in self.pending if n not in later]:
            got = self.pending.pop(name).result()
            self.errors.extend(got.errors)
            if got.records is not None:
                loaded[name] = got
                self.row_counts[name] = len(got.records)
        if self.book is not None and loaded:
            self.book = Book(self.book.settings, {**self.book.records, **{n: g.records for n, g in loaded.items()}},
                             {**self.book.columns, **{n: g.letters for n, g in loaded.items()}})
            self.errors.extend(check_integrity(self.book, set(loaded), failed=self.failed))
        if self.errors and self.pending:
            self.finish()
        if self.errors:
            self.book = None

    def settle(self) -> None:
        """Wait for the sheets still loading; one read on demand that nobody asked for is never read."""
        for name in [n for n, p in self.pending.items() if p.on_demand]:
            del self.pending[name]
        self.finish()


class StillLoading(tuple):
    """The records of a sheet that is still loading: any use of them before the read is completed is
    a fault of the program (it would see no rows), said at once."""

    sheet: str

    def __new__(cls, sheet: str) -> StillLoading:
        made = super().__new__(cls)
        made.sheet = sheet
        return made

    def _refuse(self, *_: object) -> Any:
        raise RuntimeError(f"the {self.sheet} sheet was used before it had loaded")

    __iter__ = __len__ = __getitem__ = __contains__ = __bool__ = _refuse


@dataclass(frozen=True)
class Loaded:
    """A workbook read whole, the background reads joined: the book (None when the workbook has input
    errors: a book with errors is never given out), every input error, the rows read per sheet, and
    what the `ahead` work of load() worked out while the background sheets loaded."""

    book: Book | None
    errors: list[Finding]
    row_counts: Mapping[str, int]
    early: Any = None

    @property
    def ok(self) -> bool:
        return self.book is not None and not self.errors


def complete(partial: ReadResult, ahead: Callable[[Book], Any] | None = None, later: Collection[str] = ()) -> Loaded:
    """Join a read's background sheets into a Loaded; `ahead` runs on the book meanwhile (it sees none
    of the BACKGROUND sheets: it must not need them), when the read has no errors so far. The sheets
    named `later` may still be loading (complete the same read again to join them): their records
    are `StillLoading` until then."""
    early = None
    if ahead is not None and partial.pending and partial.book is not None and not partial.errors:
        early = ahead(partial.book)
    partial.finish(later)
    return Loaded(partial.book, partial.errors, MappingProxyType(dict(partial.row_counts)),
                  early if partial.book is not None else None)


@dataclass
class _Sheet:
    """One sheet read and validated: its records (None when it has errors), columns and errors."""

    records: tuple | TimeTable | None
    letters: dict[str, int]
    errors: list[Finding]


class _Pending:
    """A sheet loading on a background thread (fastexcel releases the interpreter while it parses), or
    one read only once asked for (`on_demand`: then, on the asking thread)."""

    def __init__(self, loading: Future | Callable[[], _Sheet]):
        self._loading = loading

    @property
    def on_demand(self) -> bool:
        return not isinstance(self._loading, Future)

    def result(self) -> _Sheet:
        return self._loading.result() if isinstance(self._loading, Future) else self._loading()


@dataclass
class SheetScan:
    """What only the sheet XML tells: where the table starts, and formulas with no calculated value."""

    first_row: int = 1
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # (row, 0-based column)


_HAS_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is>")
_CELL_OPEN = re.compile(rb'<c\b[^>]*\br="([A-Z]{1,3}\d+)"')


class SheetScanner:
    """Reads the sheet XML as it streams by, chunk after chunk, for what only the XML tells (SheetScan)."""

    def __init__(self):
        self._scan = SheetScan()
        self._tail = b""
        self._first_found = False

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        if not self._first_found:
            m = FIRST_VALUE_ROW.search(data)
            if m:
                self._scan.first_row, self._first_found = int(m.group(1)), True
        for pattern in ((b"</f></c>", b"/></c>") if b"<f" in data else ()):
            start = 0
            while (hit := data.find(pattern, start)) != -1:
                start = hit + 1
                open_at = data.rfind(b"<c ", 0, hit)
                cell = data[open_at:hit + len(pattern)]
                if open_at == -1 or b"<f" not in cell or _HAS_VALUE.search(cell):
                    continue
                m = _CELL_OPEN.match(cell)
                if m:
                    self._scan.uncalculated.append(split_ref(m.group(1).decode()))
        cut = data.rfind(b"<c ")
        self._tail = (data[cut:] if cut != -1 else b"")[-(1 << 16):]

    def result(self) -> SheetScan:
        self._scan.uncalculated = sorted(set(self._scan.uncalculated))
        return self._scan


def scan_sheet(pkg: Package, part: str) -> SheetScan:
    """Stream the sheet XML once, looking for the first row with a value and formulas without values."""
    scanner = SheetScanner()
    with pkg.stream(part) as raw:
        while chunk := raw.read(1 << 22):
            scanner.feed(chunk)
    return scanner.result()


def _near(a: str, b: str) -> bool:
    """Names one or two edits apart (`Timesheet`, `RateCards`), for the typo check on sheet names."""
    if abs(len(a) - len(b)) > 2:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


@dataclass
class LoadedSheet:
    """A sheet's wanted columns as text, however it was read (a file, or cell values from Excel)."""

    header_row: int  # the Excel row of the headers
    rows: int  # data rows below the headers
    columns: list[tuple[str, int, pa.Array]]  # (header, 0-based sheet column, the data cells as text)
    error_cells: list[tuple[int, int, str]] = field(default_factory=list)  # (Excel row, column, "#N/A")
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # formulas with no value: (row, column)


def _load_file_sheet(reader: fastexcel.ExcelReader, pkg: Package, name: str, part: str,
                     spec: SheetSpec, path: Path) -> LoadedSheet:
    wanted = {normalize(c.name) for c in spec.columns}
    shared = sum(i.file_size for i in pkg.infos if i.filename.lower().endswith("sharedstrings.xml"))
    parts = part_count(pkg.info(part).file_size, shared) if part else 1
    if parts > 1 and (loaded := _load_in_parts(pkg, name, part, wanted, parts)) is not None:
        return loaded
    with ThreadPoolExecutor(1) as pool:  # the XML scan overlaps fastexcel's load; both release the GIL
        scanning = pool.submit(scan_sheet, pkg, part) if part else None
        columns, rows, errors = _fastexcel_load(reader, name, wanted)
        scan = scanning.result() if scanning else SheetScan()
    return LoadedSheet(scan.first_row, rows, columns, [(scan.first_row + r, c, e) for r, c, e in errors],
                       scan.uncalculated)


def part_count(xml_size: int, shared_strings: int = 0) -> int:
    """How many row ranges a sheet of this much XML is read in: none below MIN_PART_BYTES a range, and
    two per core (as ranges finish at different times, that keeps every core busy to the end). Every
    range reads the workbook's shared strings again: with many of them, one range per core."""
    cores = os.cpu_count() or 1
    per_core = 2 if shared_strings * 16 < xml_size else 1
    return max(1, min(per_core * cores, MAX_PARTS, xml_size // MIN_PART_BYTES)) if cores > 1 else 1


def _fastexcel_load(reader: fastexcel.ExcelReader, name: str, wanted: set[str]):
    """The wanted columns of a sheet as text: [(header, sheet column, cells)], the number of data rows,
    and the cells holding Excel errors as (rows below the header, sheet column, "#N/A")."""
    sheet = reader.load_sheet_by_name(name, dtypes="string", use_columns=lambda ci: normalize(ci.name) in wanted)
    batch, cell_errors = sheet.to_arrow_with_errors()
    selected = sheet.selected_columns
    offset = selected[0].absolute_index - selected[0].index if selected else 0  # where the sheet's range starts
    errors = []
    for err in (cell_errors.errors if cell_errors else []):
        row, col = err.position
        m = re.search(r"Error\((\w+)\)", err.detail)
        errors.append((row, col + offset, _ERROR_NAMES.get(m.group(1), f"#{m.group(1)}") if m else err.detail))
    columns = [(info.name, info.absolute_index, batch.column(i)) for i, info in enumerate(selected)]
    return columns, batch.num_rows, errors


def _load_piece(path: Path, name: str, wanted: set[str]):
    return _fastexcel_load(fastexcel.read_excel(str(path)), name, wanted)


def _load_in_parts(pkg: Package, name: str, part: str, wanted: set[str], parts: int) -> LoadedSheet | None:
    """A large sheet read in row ranges, each by its own reader, on as many threads as there are cores
    (see sheet_parts). None when the sheet cannot be cut: it is read whole instead."""
    scanner = SheetScanner()
    try:
        sweep_leftovers(Path(tempfile.gettempdir()), "xlbilling-")
        with tempfile.TemporaryDirectory(prefix=f"xlbilling-{os.getpid()}-", ignore_cleanup_errors=True) as folder, \
                ThreadPoolExecutor(min(parts, os.cpu_count() or 1)) as pool:
            loading = [(piece, pool.submit(_load_piece, piece.path, name, wanted))
                       for piece in cut_sheet(pkg, part, parts, Path(folder), scanner.feed)]
            loaded = [(piece, future.result()) for piece, future in loading]
    except (Uncuttable, OSError, ValueError, fastexcel.FastExcelError):
        return None
    scan = scanner.result()
    header_row = loaded[0][0].first_row - 1
    if scan.first_row != header_row or any(
            [c[:2] for c in got[0]] != [c[:2] for c in loaded[0][1][0]] for _, got in loaded):
        return None  # the ranges did not find the same columns: read the sheet whole
    chunks: list[list[pa.Array]] = [[] for _ in loaded[0][1][0]]
    errors, rows = [], 0
    for k, (piece, (columns, count, cell_errors)) in enumerate(loaded):
        span = loaded[k + 1][0].first_row - piece.first_row if k + 1 < len(loaded) else count
        if count > span:
            return None
        for j, (_, _, cells) in enumerate(columns):  # blank rows at a range's end are rows all the same
            chunks[j] += [cells, pa.nulls(span - count, pa.string())]
        errors += [(piece.first_row - 1 + r, c, e) for r, c, e in cell_errors]
        rows += span
    columns = [(head, col, pa.concat_arrays(chunks[j])) for j, (head, col, _) in enumerate(loaded[0][1][0])]
    return LoadedSheet(header_row, rows, columns, errors, scan.uncalculated)


def load_values(values: list[list], first_row: int, first_col: int, spec: SheetSpec) -> LoadedSheet:
    """A sheet from its used range's cell values (as xlwings gives them: floats, datetimes, None, '#N/A')."""
    values = [list(r) if isinstance(r, (list, tuple)) else [r] for r in (values or [])]
    if not values:
        return LoadedSheet(first_row, 0, [])
    width = max(len(r) for r in values)
    values = [r + [None] * (width - len(r)) for r in values]
    wanted = {normalize(c.name) for c in spec.columns}
    columns, errors = [], []
    for j, header in enumerate(values[0]):
        if header is None or normalize(header) not in wanted:
            continue
        texts = []
        for i, row in enumerate(values[1:], start=1):
            v = row[j]
            if isinstance(v, str) and v in EXCEL_ERRORS:
                errors.append((first_row + i, first_col + j, v))
                v = None
            texts.append(cell_text(v))
        columns.append((str(header), first_col + j, pa.array(texts, pa.string())))
    return LoadedSheet(first_row, len(values) - 1, columns, errors)


class _SheetReader:
    def __init__(self, name: str, spec: SheetSpec, loaded: LoadedSheet):
        self.name, self.spec, self.loaded = name, spec, loaded
        self.errors: list[Finding] = []

    def cell(self, row: int, col: int) -> str:
        return cell_name(self.name, row, col)

    def read(self) -> tuple[list[Coded], np.ndarray, dict[str, int]] | None:
        """Typed columns (in spec order), Excel row numbers, and the 0-based column of each field."""
        spec, loaded = self.spec, self.loaded
        wanted = {normalize(c.name): c for c in spec.columns}
        spec_col = {c.name: c for c in spec.columns}.__getitem__
        header_row = loaded.header_row
        found: dict[str, tuple[int, int]] = {}  # field -> (loaded column, sheet column)
        for i, (header, sheet_col, _) in enumerate(loaded.columns):
            col = wanted[normalize(header)]
            if col.name in found:
                self.errors.append(input_error(
                    self.cell(header_row, sheet_col), f"column '{col.title}' appears twice", show(header),
                    "each column once"))
                continue
            found[col.name] = (i, sheet_col)
        for col in spec.columns:
            if col.required and col.name not in found:
                self.errors.append(input_error(
                    f"{self.name}!{header_row}:{header_row}", f"required column '{col.title}' is missing",
                    "no such header", f"a header '{col.title}' in row {header_row}"))
        if self.errors:
            return None

        nrows = loaded.rows
        bad_cells: dict[int, set[int]] = {}  # data row index -> sheet columns already reported
        by_sheet_col = {sc: name for name, (_, sc) in found.items()}
        for row, at, value in loaded.error_cells:
            if at in by_sheet_col:
                self.errors.append(input_error(self.cell(row, at), "cell holds an Excel error", value,
                                               "a value, not an Excel error"))
                bad_cells.setdefault(row - header_row - 1, set()).add(at)
        for row, at in loaded.uncalculated:
            if at in by_sheet_col:
                self.errors.append(input_error(
                    self.cell(row, at), "formula has no calculated value",
                    "a formula never calculated", "a value: open the workbook in Excel, recalculate and save"))
                bad_cells.setdefault(row - header_row - 1, set()).add(at)

        # Blank cells per column, then blank rows (every loaded column blank), all vectorized. A long
        # sheet's columns are encoded two at a time (Arrow's kernels let go of the interpreter).
        def encode(name: str) -> tuple[tuple, pa.Array]:
            cells = loaded.columns[found[name][0]][2]
            if spec_col(name).kind in (Kind.TEXT, Kind.ID) and _mostly_distinct(cells):
                trimmed = pc.utf8_trim_whitespace(cells)  # IDs: a dictionary would be as long as the column
                return (trimmed, None, None), pc.or_kleene(pc.is_null(trimmed), pc.equal(trimmed, ""))
            enc = cells.dictionary_encode()
            trimmed = pc.utf8_trim_whitespace(enc.dictionary)
            blank_ids = pc.indices_nonzero(pc.equal(trimmed, "")).cast(enc.indices.type)
            return (trimmed, enc.indices, blank_ids), pc.or_kleene(pc.is_null(enc.indices),
                                                                   pc.is_in(enc.indices, blank_ids))

        with ThreadPoolExecutor(2 if nrows >= _PARALLEL_ROWS else 1) as pool:
            done = list(pool.map(encode, found))
        encoded: dict[str, tuple[pa.Array, pa.Array, pa.Array]] = {}
        blank_row = pa.array(np.ones(nrows, dtype=bool))
        for name, (codes, is_blank_cell) in zip(found, done):
            encoded[name] = codes
            blank_row = pc.and_(blank_row, pc.fill_null(is_blank_cell, True))
        keep = pc.indices_nonzero(pc.invert(blank_row))
        rows = keep.to_numpy(zero_copy_only=False).astype(np.int64) + (header_row + 1)  # the Excel row of each

        columns: list[Coded] = []
        letters: dict[str, int] = {}
        for col in spec.columns:
            if col.name not in found:
                columns.append(Coded(np.zeros(len(rows), dtype=np.int64), [col.default]))
                continue
            bi, sc = found[col.name]
            letters[col.name] = sc
            uniques, indices, blank_ids = encoded[col.name]
            if col.kind in (Kind.TEXT, Kind.ID) and (indices is None or len(uniques) * 2 > nrows):
                values = self._text_column(col, uniques, indices, keep, rows, header_row, sc, bad_cells)
                columns.append(Coded(np.arange(len(values), dtype=np.int64), values))
                continue
            blank = set(blank_ids.to_pylist())
            typed, bad = self._convert_uniques(col, uniques, blank)
            missing = len(typed)  # the code of a cell with no value at all
            typed.append(None)
            if not col.required:  # blank cells take the column's default
                for k in (*blank, missing):
                    typed[k] = col.default
            kept_idx = pc.fill_null(pc.take(indices, keep), missing)
            # Cells to report: bad values, and blank cells of a required column.
            report = [*bad, *((*blank, missing) if col.required else ())]
            holes = pc.indices_nonzero(pc.is_in(kept_idx, pa.array(report, kept_idx.type))).to_pylist()
            def hole(pos, uniques=uniques, bad=bad, kept_idx=kept_idx):  # this column's, bound now
                k = kept_idx[pos].as_py()
                return (show(uniques[k].as_py()), bad[k]) if k in bad else None

            self._fill_holes(col, sc, None, holes, rows, header_row, bad_cells, hole)
            columns.append(Coded(kept_idx.to_numpy(zero_copy_only=False).astype(np.int64), typed))
        return columns, rows, letters

    def _text_column(self, col, uniques, indices, keep, rows, header_row, sc, bad_cells) -> list:
        """A text column of mostly distinct values (IDs): taken straight, blanks and error values found vectorized.
        (`uniques` is the whole trimmed column when `indices` is None.)"""
        text = pc.take(uniques, keep if indices is None else pc.take(indices, keep))
        blank = pc.or_kleene(pc.is_null(text), pc.equal(text, ""))
        values = pc.if_else(blank, None, text).to_pylist()
        errors = pc.fill_null(pc.or_(pc.is_in(text, pa.array(EXCEL_ERRORS)),
                                     pc.greater(pc.utf8_length(text), MAX_CELL_TEXT)), False)
        if col.required or col.default is not None:  # blanks need a visit only to report or default them
            errors = pc.or_(pc.fill_null(blank, True), errors)
        holes = pc.indices_nonzero(errors).to_pylist()

        def why_bad(pos: int) -> tuple[str, str] | None:
            value = values[pos]
            if value in EXCEL_ERRORS:
                return show(value), "a value, not an Excel error"
            return (show(value), TOO_LONG) if value and len(value) > MAX_CELL_TEXT else None
        self._fill_holes(col, sc, values, holes, rows, header_row, bad_cells, why_bad)
        return values

    def _fill_holes(self, col: Col, sc: int, values: list | None, holes: list[int], rows: list[int], header_row: int,
                    bad_cells: dict[int, set[int]], why_bad: Callable[[int], tuple[str, str] | None]) -> None:
        """Cells left without a value: a bad value or a blank required cell is an error; other blanks take
        the default (in `values`, when the column is a plain list)."""
        for pos in holes:
            row = int(rows[pos])
            if sc in bad_cells.get(row - header_row - 1, ()):
                continue  # already reported (an Excel error value or an uncalculated formula)
            bad = why_bad(pos)
            if bad is None and not col.required:
                if values is not None:
                    values[pos] = col.default
                continue
            where = self.cell(row, sc)
            if bad is not None:
                self.errors.append(input_error(where, f"{col.title} is not valid", *bad))
            else:
                self.errors.append(input_error(where, f"{col.title} is required", "blank", f"a {col.kind.value}"))

    @staticmethod
    def _convert_uniques(col: Col, uniques: pa.Array, blank: set[int]) -> tuple[list, dict[int, str]]:
        """Each distinct (trimmed) value of a column converted once; text columns need no conversion."""
        texts = uniques.to_pylist()
        if col.kind in (Kind.TEXT, Kind.ID):
            bad = {k: "a value, not an Excel error" for k, t in enumerate(texts) if t in EXCEL_ERRORS}
            bad.update({k: TOO_LONG for k, t in enumerate(texts) if t and len(t) > MAX_CELL_TEXT})
            for k in (*blank, *bad):
                texts[k] = None
            return texts, bad
        typed: list = []
        bad = {}
        for k, v in enumerate(texts):
            if k in blank:
                typed.append(None)
                continue
            try:
                typed.append(convert(col, v))
            except Bad as exc:
                typed.append(None)
                bad[k] = exc.expected
        return typed, bad



def _mostly_distinct(cells: pa.Array, sample: int = 2000) -> bool:
    """A long column of nearly all different values (IDs), judged on its first cells. (Either way the
    column reads the same; this only spares building a dictionary as long as the column.)"""
    return len(cells) >= 4 * sample and pc.count_distinct(cells.slice(0, sample)).as_py() > 0.95 * sample


def _values(column: Coded) -> list:
    return list(map(column.values.__getitem__, column.codes.tolist()))


def _match_sheets(names: list[str]) -> tuple[dict[str, str], list[Finding]]:
    by_norm = {normalize(n): n for n in names}
    expected = [SETTINGS, *SHEETS, *LEDGER_SHEETS]
    matched: dict[str, str] = {}
    errors: list[Finding] = []
    for spec in expected:
        actual = by_norm.get(normalize(spec.name))
        if actual is not None:
            matched[spec.name] = actual
    taken = set(matched.values())
    for spec in expected:
        if spec.name in matched:
            continue
        near = [n for n in names if n not in taken and _near(normalize(n), normalize(spec.name))]
        if near:
            errors.append(input_error(
                near[0], f"sheet '{near[0]}' looks like a misspelling of '{spec.name}'",
                show(near[0]), f"a sheet named '{spec.name}' (rename it so its rows are not missed)"))
        elif spec.required:
            errors.append(input_error(spec.name, f"the workbook has no '{spec.name}' sheet", "no such sheet",
                                      f"a sheet named '{spec.name}'"))
    return matched, errors


def read_book(path: str | Path, progress: Callable[[str], None] | None = None) -> Loaded:
    """Read and validate a master workbook. Errors are returned, never raised, for a user's mistakes."""
    with gc_paused():
        return complete(_read_book(Path(path), progress))


# The sheets start_reading loads on a thread of their own, in this order: the largest of a book, none
# of them needed to schedule recurring billing (a close's or post's `ahead`), and InvoiceLines last
# (a post needs it only once it has posted: see complete()'s `later`). InvoiceLines only in a book
# with the posted ledger: without one, the posted lines are there alone, and scheduling needs them.
BACKGROUND = ("Timesheets", "Discrepancies", "InvoiceLines")


def start_reading(path: str | Path, progress: Callable[[str], None] | None = None,
                  on_demand: Collection[str] = ()) -> ReadResult:
    """Like read_book, but the BACKGROUND sheets may still be loading when it returns (see ReadResult;
    complete() joins them): work that needs none of them can run meanwhile. Those named `on_demand`
    that are sealed (ReadResult.seals: as this tool wrote them) are read only once complete() asks."""
    with gc_paused():
        return _read_book(Path(path), progress, background=BACKGROUND, on_demand=on_demand)


@contextmanager
def gc_paused():
    """Millions of fresh objects make the cyclic collector run over and over; they hold no cycles.
    (Reference counting still frees them; the collector runs again once the run is over.)"""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_book(path: Path, progress: Callable[[str], None] | None, background: tuple[str, ...] = (),
               on_demand: Collection[str] = ()) -> ReadResult:
    result = ReadResult(None)
    if not path.exists():
        result.errors.append(input_error(str(path), "file not found", str(path), "an existing .xlsx or .xlsm workbook"))
        return result
    refusal = not_a_workbook(path)
    if refusal:
        result.errors.append(input_error(path.name, refusal, path.suffix or "no extension", ".xlsx or .xlsm"))
        return result
    try:
        pkg = Package.open(path)
        reader = fastexcel.read_excel(str(path))
    except (PackageError, fastexcel.FastExcelError, zipfile.BadZipFile) as exc:  # a broken part: BadZipFile
        result.errors.append(input_error(path.name, f"cannot read the workbook: {exc}", path.suffix, ".xlsx or .xlsm"))
        return result
    parts = {s.name: s.part for s in pkg.sheets}
    result.seals = pkg.seals()

    behind: list[fastexcel.ExcelReader] = []  # the background thread's

    def load(name: str, spec: SheetSpec, in_background: bool = False) -> LoadedSheet:
        # the background thread has a reader of its own: a reader is not shared between threads
        if in_background and not behind:
            behind.append(fastexcel.read_excel(str(path)))
        return _load_file_sheet(behind[0] if in_background else reader, pkg, name, parts.get(name, ""),
                                spec, path)

    return _assemble(reader.sheet_names, load, progress, result, background, on_demand)


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an .xls, or an .xlsx with a password
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


def not_a_workbook(path: Path) -> str | None:
    """Why a file cannot be an .xlsx/.xlsm workbook, told from its type and first bytes (None: it may be)."""
    if not path.is_file():
        return "this is not a regular file (a folder, device or pipe); name the .xlsx or .xlsm workbook"
    with open(path, "rb") as f:
        head = f.read(1 << 20)
        if head.startswith(_OLE) and len(head) >= 512:  # also read the compound file's directory, wherever it is
            shift, first = int.from_bytes(head[30:32], "little"), int.from_bytes(head[48:52], "little")
            if 7 <= shift <= 16:
                f.seek((first + 1) << shift)
                head += f.read(4 << shift)
    if head.startswith(_ZIP):
        return None
    if head.startswith(_OLE):
        if _ENCRYPTED in head:
            return "this workbook is password-protected: save a copy without a password (File > Info > Protect)"
        return "this is not an .xlsx/.xlsm workbook (an Excel 97-2003 .xls? Save it as .xlsx)"
    return "this is not an .xlsx/.xlsm workbook (an Excel 97-2003 .xls? Save it as .xlsx)"


def read_values(sheets: dict[str, tuple[list[list], int, int]],
                progress: Callable[[str], None] | None = None) -> ReadResult:
    """Read and validate a workbook given as cell values per sheet: (values, first row, first column)."""
    with gc_paused():
        result = _assemble(list(sheets), lambda name, spec: load_values(*sheets[name], spec), progress,
                           ReadResult(None))
        result.finish()
        return result


MAX_CELL_TEXT = 32_767  # Excel's limit for the text of a cell
TOO_LONG = f"text of at most {MAX_CELL_TEXT:,} characters (Excel's limit for a cell)"
_UNREADABLE = (fastexcel.FastExcelError, PackageError, KeyError, zipfile.BadZipFile, UnicodeDecodeError)


def _read_sheet(actual: str, spec: SheetSpec, load: Callable[[], LoadedSheet]) -> _Sheet:
    try:
        loaded = load()
    except _UNREADABLE as exc:  # a damaged or forged sheet: said of the sheet, never a traceback
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return _Sheet(None, {}, [input_error(actual, f"the sheet '{actual}' cannot be read ({reason})",
                                             "a damaged sheet", "a sheet Excel can open; save the workbook again "
                                             "from Excel")])
    sr = _SheetReader(actual, spec, loaded)
    got = sr.read()
    if got is None:
        return _Sheet(None, {}, sr.errors)
    cols, rows, letters = got
    if spec.name == "Timesheets":  # kept as columns: a million entries never become records
        return _Sheet(TimeTable(dict(zip(FIELDS, cols)), rows), letters, sr.errors)
    make = partial(tuple.__new__, RECORD_TYPES[spec.name])  # C-level construction
    return _Sheet(tuple(map(make, zip(*map(_values, cols), rows.tolist()))), letters, sr.errors)


def _assemble(names: list[str], load: Callable[..., LoadedSheet], progress: Callable[[str], None] | None,
              result: ReadResult, background: tuple[str, ...] = (), on_demand: Collection[str] = ()) -> ReadResult:
    matched, errors = _match_sheets(names)
    result.errors.extend(errors)

    records: dict[str, tuple | TimeTable] = {}
    columns: dict[str, dict[str, int]] = {}
    pool = ThreadPoolExecutor(1) if background else None
    specs = {spec.name: spec for spec in (*SHEETS, *LEDGER_SHEETS)}
    ledger = POSTED_INVOICES.name in matched
    for spec in (specs[name] for name in background if name != INVOICE_LINES.name or ledger):
        if pool is not None and spec.name in matched:
            actual = matched[spec.name]
            if spec.name in on_demand and spec.name in result.seals:
                result.pending[spec.name] = _Pending(partial(_read_sheet, actual, spec, partial(load, actual, spec)))
            else:
                if progress:
                    progress(spec.name)
                result.pending[spec.name] = _Pending(pool.submit(_read_sheet, actual, spec,
                                                                 partial(load, actual, spec, True)))
            records[spec.name] = TimeTable.of(()) if spec.name == "Timesheets" else StillLoading(spec.name)
    settings = Settings()
    if "Settings" in matched:
        if progress:
            progress("Settings")
        try:
            sr = _SheetReader(matched["Settings"], SETTINGS, load(matched["Settings"], SETTINGS))
            got = sr.read()
            result.errors.extend(sr.errors)
        except _UNREADABLE:
            got = None
            result.errors.append(input_error(matched["Settings"], "the Settings sheet cannot be read",
                                             "a damaged sheet", "a sheet Excel can open"))
        if got is not None:
            (names, values), rows, letters = map(_values, got[0]), got[1].tolist(), got[2]
            settings, errs = parse_settings(matched["Settings"], list(zip(names, values, rows)),
                                            letters.get("value", 1))
            result.errors.extend(errs)
            columns["Settings"] = letters  # so a setting's cell can be named (Settings!B7)

    for spec in (*SHEETS, *LEDGER_SHEETS):
        if spec.name in result.pending:
            continue
        if spec.name not in matched:
            records[spec.name] = ()
            continue
        actual = matched[spec.name]
        if progress:
            progress(spec.name)
        sheet = _read_sheet(actual, spec, lambda: load(actual, spec))  # noqa: B023 - called at once
        result.errors.extend(sheet.errors)
        if sheet.records is None:
            result.failed.add(spec.name)
            continue
        records[spec.name], columns[spec.name] = sheet.records, sheet.letters
        result.row_counts[spec.name] = len(sheet.records)
    if pool:
        pool.shutdown(wait=False)
    result.book = Book(settings, records, columns)
    result.errors.extend(check_integrity(result.book, None, set(result.pending), result.failed))
    if result.errors:
        result.finish()  # every error of the run together
    return result
