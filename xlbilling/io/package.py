"""The workbook as an OOXML zip package, edited part by part.

openpyxl's load-and-save rewrites the whole workbook and drops what it does not model (the
Office 2010 ribbon relationship, form-control links, x14 extensions, cached formula values).
Here only the output sheets are replaced or appended; the index parts (workbook.xml, its
relationships, [Content_Types].xml, styles.xml) get text inserted, and every other part is
carried over byte for byte, in its original order.
"""

from __future__ import annotations

import bisect
import html
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any, NamedTuple
from collections.abc import Callable, Iterable, Iterator

from ..core.cells import column_index, column_letter, quote_sheet
from ..core.tabs import DATE, Later, Tab, made
from ..schema import SHEET_BY_NAME
from .seals import seal_xml, valid_seals, without_seals
from .sheetxml import EPOCH_1900, EPOCH_1904, NUMBER_FORMATS, Rendered, every_style, render_chunks, serial
from .styles import Style, StyleBook
from .xmltext import attr, cell_text
from .zipwrite import Deflated, Deflater, Inflating, Runs, compressed, copied, quick_handoffs, raw_bytes, write_zip

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_R_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_REL = R_NS + "/worksheet"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The file is not a workbook package we can read or write."""


# Limits a package must keep before any part is inflated: a million-entry Timesheets is ~0.6 GB of XML
# that compresses about 11 times, so these leave real books ample room and stop zip bombs.
MAX_PARTS = 5_000
MAX_PART_BYTES = 2 << 30
MAX_TOTAL_BYTES = 4 << 30
MAX_RATIO, RATIO_FROM_BYTES = 200, 64 << 20


@dataclass(frozen=True)
class SheetRef:
    name: str
    sheet_id: int
    part: str  # zip entry name, e.g. xl/worksheets/sheet3.xml


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


_KEEP_UP_TO = 4 << 20  # bytes: parts this small are read once and kept


class Package:
    """The entries of a zip package, in order, with the sheets of its workbook."""

    def __init__(self, data: bytes):
        self.data = data
        try:
            self._zip = zipfile.ZipFile(BytesIO(data))
            self.infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise PackageError(f"not an Excel workbook (.xlsx/.xlsm): {exc}") from None
        self._names = {i.filename for i in self.infos}
        self._check_limits()
        self._cache: dict[str, bytes] = {}
        self.workbook_part = self._office_document()
        self.sheets = self._sheets()

    def _check_limits(self) -> None:
        """Refuse, before anything is inflated or parsed, a package no workbook looks like: too many parts,
        names given twice, parts or a whole that inflate beyond reason, or XML with a DTD (entities)."""
        if len(self.infos) > MAX_PARTS:
            raise PackageError(f"the file has {len(self.infos):,} parts, more than a workbook has (at most "
                               f"{MAX_PARTS:,})")
        if len(self._names) != len(self.infos):
            raise PackageError("the file names a part twice (a damaged or forged package)")
        total = 0
        for i in self.infos:
            total += i.file_size
            if i.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES or (
                    i.file_size > RATIO_FROM_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1)):
                raise PackageError(f"part {i.filename} inflates to {i.file_size:,} bytes from {i.compress_size:,} "
                                   "(a zip bomb?); a workbook's parts stay far smaller")
            if i.flag_bits & 0x1:
                raise PackageError("this workbook is password-protected: save a copy without a password")
        for i in self.infos:
            if i.filename.endswith((".xml", ".rels", ".vml")):
                with self.stream(i.filename) as f:
                    head = f.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise PackageError(f"part {i.filename} declares a DTD or entities, which workbooks never do "
                                       "(a hostile file?)")

    @classmethod
    def open(cls, path) -> Package:
        with open(path, "rb") as f:
            return cls(f.read())

    def part(self, name: str) -> bytes | None:
        """A part's bytes; small parts are kept for the next ask, a large one (a big sheet) is read afresh
        each time, so that it is freed as soon as its user is done with it."""
        if name not in self._names:
            return None
        if name in self._cache:
            return self._cache[name]
        with self.stream(name) as f:
            data = f.read()
        if self._zip.getinfo(name).file_size <= _KEEP_UP_TO:
            self._cache[name] = data
        return data

    def required(self, name: str) -> bytes:
        """A part the package must have."""
        data = self.part(name)
        if data is None:
            raise PackageError(f"the workbook has no part {name}")
        return data

    def info(self, name: str) -> zipfile.ZipInfo:
        return self._zip.getinfo(name)

    def has(self, name: str) -> bool:
        return name in self._names

    def stream(self, name: str) -> Inflating:
        """A part opened for streaming (large sheets are not read into memory whole)."""
        return Inflating(self.data, self._zip.getinfo(name))

    def relationships(self, part: str) -> list[ET.Element]:
        """A part's relationships (the package's own for '')."""
        data = self.part(rels_path(part) if part else "_rels/.rels")
        if data is None:
            return []
        return [r for r in ET.fromstring(data) if r.tag == f"{{{PKG_R_NS}}}Relationship"]

    def _office_document(self) -> str:
        for rel in self.relationships(""):
            if rel.get("Type", "").endswith("/officeDocument"):
                return rel.get("Target", "").lstrip("/")
        raise PackageError("not an Excel workbook: the package has no workbook part")

    def _sheets(self) -> list[SheetRef]:
        targets = {r.get("Id"): _resolve(self.workbook_part, r.get("Target", ""))
                   for r in self.relationships(self.workbook_part)}
        root = ET.fromstring(self.required(self.workbook_part))
        sheets = []
        for el in root.iter():
            if el.tag.endswith("}sheet"):
                rid = el.get(f"{{{R_NS}}}id")
                sheets.append(SheetRef(el.get("name", ""), int(el.get("sheetId", "0")), targets.get(rid, "")))
        return sheets

    def sheet(self, name: str) -> SheetRef | None:
        return next((s for s in self.sheets if s.name.lower() == name.lower()), None)

    def seals(self) -> dict[str, str]:
        """Sheet -> the digest its seal holds, for each sealed sheet still as it was written (see seals.py)."""
        def info_of(sheet: str) -> zipfile.ZipInfo | None:
            ref = self.sheet(sheet)
            return self.info(ref.part) if ref is not None and self.has(ref.part) else None

        return valid_seals(self.required(self.workbook_part), info_of)


class _Parts:
    """The package's parts as a change set: reads fall through to the package, writes are collected."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.new: dict[str, bytes] = {}
        self.deleted: set[str] = set()
        self.placed: list[str] = []  # new parts in the order the archive lists them, before they are written
        self.streamed: dict[str, Deflater | Deflated] = {}  # parts deflated as they were produced, never held whole

    def __getitem__(self, name: str) -> bytes:
        return self.new[name] if name in self.new else self.pkg.required(name)

    def __setitem__(self, name: str, data: bytes) -> None:
        self.new[name] = data

    def stream(self, name: str, deflater: Deflater | Deflated) -> None:
        """The part is what `deflater` deflated as it was produced."""
        self.new.pop(name, None)
        self.streamed[name] = deflater

    def rendered(self, name: str, deflater: Deflater | Deflated) -> None:
        """A part rendered and deflated as it was produced, never held whole. If it deflated to the old
        part's very bytes (the same checksum and size, then the same stream: a tab this writer wrote
        unchanged), the old part stays as it was; otherwise the deflated stream is the part."""
        info = self.pkg.info(name) if self.pkg.has(name) else None
        if info is not None and (deflater.crc, deflater.size) == (info.CRC, info.file_size) and \
                info.compress_type == zipfile.ZIP_DEFLATED and deflater.same_as(raw_bytes(self.pkg.data, info)):
            return
        self.stream(name, deflater)

    def __delitem__(self, name: str) -> None:
        self.new.pop(name, None)
        self.deleted.add(name)

    def __contains__(self, name: str) -> bool:
        return name in self.new or name in self.streamed or (self.pkg.has(name) and name not in self.deleted)

    def names(self) -> list[str]:
        original = [i.filename for i in self.pkg.infos if i.filename not in self.deleted]
        known = set(original)
        return original + [n for n in dict.fromkeys([*self.placed, *self.new, *self.streamed]) if n not in known]


def _insert_before_close(xml: str, tag_local: str, text: str) -> str:
    m = list(re.finditer(rf"</(\w+:)?{tag_local}>", xml))
    if not m:
        raise PackageError(f"malformed package: no </{tag_local}>")
    end = m[-1]
    return xml[: end.start()] + _prefixed(text, end.group(1) or "") + xml[end.start():]


def _prefixed(text: str, prefix: str) -> str:
    """Markup written with `<§` for its elements, in the namespace prefix of the part it goes into."""
    return text.replace("</§", f"</{prefix}").replace("<§", f"<{prefix}")


_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_TITLES_TAG = re.compile(r"<(?:\w+:)?definedName\b[^>]*>")


def _print_titles(wb_xml: str, names: list[str]) -> str:
    """Each named sheet prints its header row on top of every page (Excel's Print_Titles, one per sheet;
    one a user set is kept as it is)."""
    order = [html.unescape(m.group(1)) for t in _SHEET_TAG.finditer(wb_xml)
             if (m := re.search(r'\bname="([^"]*)"', t.group()))]
    have = {int(m.group(1)) for t in _TITLES_TAG.finditer(wb_xml) if "_xlnm.Print_Titles" in t.group()
            and (m := re.search(r'\blocalSheetId="(\d+)"', t.group()))}
    new = "".join(f'<§definedName name="_xlnm.Print_Titles" localSheetId="{k}">'
                  f"{cell_text(quote_sheet(name))}!$1:$1</§definedName>"
                  for k, name in enumerate(order) if name in names and k not in have)
    return _with_names(wb_xml, new)


def _with_names(wb_xml: str, new: str) -> str:
    """workbook.xml with these defined names (markup with `<§`) added to its own."""
    if not new:
        return wb_xml
    if re.search(r"</(\w+:)?definedNames>", wb_xml):
        return _insert_before_close(wb_xml, "definedNames", new)
    names_xml = f"<§definedNames>{new}</§definedNames>"
    empty = re.search(r"<(\w+:)?definedNames\s*/>", wb_xml)  # <definedNames/>: opened up, once
    if empty:
        return wb_xml[:empty.start()] + _prefixed(names_xml, empty.group(1) or "") + wb_xml[empty.end():]
    end = re.search(r"</(\w+:)?sheets>", wb_xml)
    if end is None:
        raise PackageError("malformed package: no </sheets>")
    return wb_xml[:end.end()] + _prefixed(names_xml, end.group(1) or "") + wb_xml[end.end():]


def _code_name(sheet_xml: bytes) -> str | None:
    m = re.search(rb"<(?:\w+:)?sheetPr\b[^>]*\bcodeName=\"([^\"]*)\"", sheet_xml)
    return m.group(1).decode("utf-8") if m else None


_TAIL = 1 << 20  # drawing references sit in a sheet's last elements, after its rows and hyperlinks
_DRAWINGS = ("/drawing", "/vmlDrawing")  # the relationship types of <drawing> and <legacyDrawing>


def _carried_over(pkg: Package, parts: _Parts, part: str) -> tuple[str | None, str]:
    """What a replaced sheet keeps (its code name, its drawing references), read from the head and tail of
    the old part as it inflates, without holding the old part (hundreds of MB for a big output tab)."""
    if part in parts.new:
        return _code_name(parts.new[part]), _kept_references(parts.new[part])
    # a drawing reference names a relationship of the sheet: without one, only the head is read
    drawn = any(r.get("Type", "").endswith(_DRAWINGS) for r in pkg.relationships(part))
    head, tail = b"", b""
    with pkg.stream(part) as f:
        while chunk := f.read(1 << 23 if drawn else 1 << 16):
            if len(head) < 1 << 16:
                head += chunk[:1 << 16]
            if not drawn:
                break
            tail = (tail + chunk)[-_TAIL:]
    return _code_name(head), _kept_references(tail)


def _kept_references(sheet_xml: bytes) -> str:
    """Drawing references of a replaced sheet (a chart a user put on an output tab keeps its anchor)."""
    found = re.findall(rb"<(?:\w+:)?(?:drawing|legacyDrawing)\b[^>]*/>", sheet_xml)
    return b"".join(found).decode("utf-8")


def _drop_calc_chain(pkg: Package, parts: _Parts, sheet_ids: set[int]) -> None:
    """Remove calcChain entries of replaced sheets; the whole chain if nothing remains."""
    chain_part = next((p for p in parts.names() if p.endswith("calcChain.xml")), None)
    if chain_part is None or not sheet_ids:
        return
    xml = parts[chain_part].decode("utf-8")
    current: int | None = None
    kept: list[tuple[str, int | None]] = []  # each entry, with the sheet it belongs to
    changed = False
    for m in re.finditer(r"<c\b[^>]*/>", xml):
        i = re.search(r'\bi="(\d+)"', m.group())
        if i:
            current = int(i.group(1))
        if current in sheet_ids:
            changed = True
            continue
        element = m.group()
        if not i and current is not None and (not kept or kept[-1][1] != current):
            element = element.replace("<c ", f'<c i="{current}" ', 1)
        kept.append((element, current))
    if not changed:
        return
    if kept:
        head = xml[: xml.index("<c ")]
        parts[chain_part] = (head + "".join(e for e, _ in kept) + "</calcChain>").encode("utf-8")
        return
    del parts[chain_part]
    wb_rels = rels_path(pkg.workbook_part)
    parts[wb_rels] = re.sub(rb"<Relationship\b[^>]*calcChain[^>]*/>", b"", parts[wb_rels])
    parts["[Content_Types].xml"] = re.sub(
        rb"<Override\b[^>]*calcChain[^>]*/>", b"", parts["[Content_Types].xml"]
    )


EditValue = str | Decimal | date  # what an edit puts in a cell


class CellEdit(NamedTuple):
    """Values to put into cells of one column of an input sheet (the only input cells the tool writes)."""

    sheet: str
    column: int | None  # 0-based; None: a new column after the last, headed `header`
    header: str
    values: dict[int, EditValue]  # Excel row -> text, a number or a date (rows below the last are added)


class _Dates(NamedTuple):
    """How a date goes into a cell: as its serial from the workbook's day 0, in the format of the cell it
    replaces when that shows a date, else in the book's date format (`style`: ` s="5"`)."""

    epoch: date
    style: str
    showing: frozenset[str]  # the style attributes of the cell formats that show a date


def _dates(styles: StyleBook, epoch: date) -> _Dates:
    """The book's way with dates, its date format asked for (one more cell format, if the book has none)."""
    style = f' s="{styles.xf(Style(NUMBER_FORMATS[DATE]))}"'
    return _Dates(epoch, style, frozenset(f' s="{k}"' for k in styles.showing_dates()))


def _cell_xml(p: str, ref: str, value: EditValue, style: str, dates: _Dates | None) -> str:
    if isinstance(value, Decimal):
        return f'<{p}c r="{ref}"{style}><{p}v>{format(value, "f")}</{p}v></{p}c>'
    if isinstance(value, date):
        if dates is None:
            raise PackageError(f"{ref}: a date edit without the book's date system")
        style = style if style in dates.showing else dates.style
        return f'<{p}c r="{ref}"{style}><{p}v>{serial(value, dates.epoch)}</{p}v></{p}c>'
    return f'<{p}c r="{ref}"{style} t="inlineStr"><{p}is><{p}t>{cell_text(value)}</{p}t></{p}is></{p}c>'


def _style(cell: bytes) -> bytes:
    """The style attribute of a cell's opening tag (` s="3"`), or nothing."""
    found = re.search(rb'\ss="\d+"', cell.split(b">", 1)[0])
    return found.group() if found else b""


def _cell_at(xml: bytes, lo: int, hi: int, cell_re: re.Pattern, p: bytes, ref: bytes,
             column: int) -> tuple[int, int, bytes]:
    """Where, within a row's cells xml[lo:hi], the cell `ref` goes: (start, end, style) of the cell it
    replaces, or (at, at, style of the next cell) where it is inserted."""
    at = xml.find(b' r="' + ref + b'"', lo, hi)  # the common cases first: the cell is there,
    if at != -1:
        m = cell_re.match(xml, xml.rfind(b"<" + p + b"c", lo, at), hi)
        if m and m.end() > at and m.group(1) == ref.rstrip(b"0123456789"):
            return m.start(), m.end(), _style(m.group())
    else:  # or every cell of the row is left of it
        last = max(xml.rfind(b"<" + p + b"c ", lo, hi), xml.rfind(b"<" + p + b"c>", lo, hi))
        m = cell_re.match(xml, last, hi) if last != -1 else None
        if last == -1 or (m and column_index(m.group(1).decode()) < column):
            return hi, hi, b""
    for m in cell_re.finditer(xml, lo, hi):
        col = column_index(m.group(1).decode())
        if col == column:
            return m.start(), m.end(), _style(m.group())
        if col > column:
            return m.start(), m.start(), _style(m.group())
    return hi, hi, b""


class _Plan(NamedTuple):
    """How one column's cells are set in a worksheet: its namespace prefix, the column and the values."""

    prefix: bytes
    column: int
    values: dict[int, EditValue]
    dates: _Dates | None


def _plan(head: bytes, edit: CellEdit, dates: _Dates | None) -> _Plan:
    """The plan of an edit, from the start of the sheet's XML (through its first row)."""
    root = re.search(rb"<(\w+:)?worksheet\b", head)
    if root is None:
        raise PackageError("a worksheet part without a worksheet element")
    p = root.group(1) or b""
    values = dict(edit.values)
    column = edit.column
    if column is None:
        first = re.search(rb"<" + p + rb'row\b[^>]*\br="1"[^>]*>(.*?)</' + p + rb"row>", head, re.S)
        used = [column_index(c.decode()) for c in re.findall(rb"<" + p + rb'c\b[^>]*\br="([A-Z]+)1"', first.group(1))
                ] if first else []
        column = max(used, default=-1) + 1
        values[1] = edit.header
    return _Plan(p, column, values, dates)


def _opened(xml: bytes, plan: _Plan) -> bytes:
    """The start of a sheet made ready for the edit: an empty sheet's `<sheetData/>` opened up, so that
    rows can go in, and the range its `<dimension>` says it uses grown to take the edited cells (readers
    that trust it, as openpyxl's read-only mode and pandas through it do, stop at its last row)."""
    p = plan.prefix
    xml = re.sub(rb"<" + p + rb"sheetData\s*/>", b"<" + p + b"sheetData></" + p + b"sheetData>", xml, count=1)
    data = xml.find(b"<" + p + b"sheetData")
    m = _DIMENSION.search(xml, 0, data if data != -1 else len(xml))
    if m is None or not plan.values:
        return xml
    first, last = m.group(2), m.group(4) or m.group(2)
    end = _LETTERS.match(last)
    if end is None or not last[end.end():].isdigit():
        return xml
    column = max(column_index(end.group().decode()), plan.column)
    row = max(int(last[end.end():]), max(plan.values))
    ref = first + b":" + f"{column_letter(column)}{row}".encode()
    return xml[:m.start(1)] + ref + xml[m.end(1):]


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(([A-Z]+\d+)(:([A-Z]+\d+))?)"')


def _edit_cells(xml: bytes, edit: CellEdit, quick: bool = True, dates: _Dates | None = None
                ) -> Iterator[bytes | memoryview]:
    """A worksheet's XML with cells set, as pieces in order (the unchanged runs are views of `xml`, not
    copies); every other cell, row and attribute is kept as it was. (`quick`: see _edit_rows; `dates`:
    how dates are written, needed when the edit has any.)"""
    plan = _plan(xml, edit, dates)
    yield from _edit_rows(_opened(xml, plan), plan, sorted(plan.values), quick)


def _edit_streamed(read: Callable[[int], bytes], edit: CellEdit, window: int, dates: _Dates | None = None
                   ) -> Iterator[bytes | memoryview]:
    """The same edit of a large sheet inflated a window at a time (`read`: the next bytes of its XML),
    so that it is never held whole: each window ends after a row and takes the edits of the rows up to
    its last; rows below the data go in before the end of the last window."""
    first = read(window)
    while not re.search(rb"</(\w+:)?row>", first):  # the plan needs the sheet's start and its first row
        more = read(window)
        if not more:
            break
        first += more
    plan = _plan(first, edit, dates)
    rows = sorted(plan.values)
    row_end = b"</" + plan.prefix + b"row>"
    carry, chunk = b"", _opened(first, plan)
    while True:
        xml = carry + chunk
        if chunk:
            cut = xml.rfind(row_end)
            if cut == -1:  # not one whole row yet
                carry, chunk = xml, read(window)
                continue
            xml, carry = xml[:cut + len(row_end)], xml[cut + len(row_end):]
            last = xml.rfind(b"<" + plan.prefix + b"row ")
            found = re.match(rb"<" + plan.prefix + rb'row\b[^>]*?\br="(\d+)"', xml[last:last + 200]) \
                if last != -1 else None
            k = bisect.bisect_right(rows, int(found.group(1)) if found else 0)
            now, rows = rows[:k], rows[k:]
        else:  # the end of the sheet: rows below the data go in before it
            now, rows = rows, []
        yield from _edit_rows(xml, plan, now)
        if not chunk:
            return
        chunk = read(window)


_LETTERS = re.compile(rb"[A-Z]+")


def _edit_rows(xml: bytes, plan: _Plan, rows: list[int], quick: bool = True) -> Iterator[bytes | memoryview]:
    """XML (whole rows) with the plan's cells of these rows (in order) set, as pieces: views of `xml`
    between the edits. A row not there is added where it belongs, before the next or at the end.
    `quick`: text going after the last cell of its row (an invoice number into a time entry) is set
    without looking at the row's other cells; without, every edit takes the general way (the tests'
    reference: both give the same bytes)."""
    p, column, values, dates = plan
    view = memoryview(xml)
    letters = column_letter(column)
    ps = p.decode()
    cell_re = re.compile(rb"<" + p + rb'c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</' + p + rb"c>)", re.S)
    any_row = re.compile(rb"<" + p + rb'row\b[^>]*\br="(\d+)"')
    row_end = b"</" + p + b"row>"
    row_open, cell_open, any_cell = b"<" + p + b'row r="', b"<" + p + b'c r="', b"<" + p + b"c"
    rank, after = (len(letters), letters.encode()), len(cell_open)
    new_cells: dict[str, bytes] = {}  # text -> the cell's XML after its reference (one invoice bills many rows)
    pos = 0
    for row in rows:
        n = b"%d" % row
        start = xml.find(row_open + n + b'"', pos)
        value = values[row]
        if quick and start != -1 and isinstance(value, str):  # the common case: after the row's last cell
            open_end = xml.find(b">", start)
            end = xml.find(row_end, open_end)
            last = xml.rfind(any_cell, open_end, end)
            if end != -1 and xml[open_end - 1] != 0x2F and (last == -1 or (  # not <row/>; no cells, or
                    xml.startswith(cell_open, last) and (letters_at := _LETTERS.match(xml, last + after))
                    and (len(found := letters_at.group()), found) < rank)):  # the last is left of the column
                cell = new_cells.get(value) or new_cells.setdefault(
                    value, f'" t="inlineStr"><{ps}is><{ps}t>{cell_text(value)}</{ps}t></{ps}is></{ps}c>'.encode())
                yield view[pos:end]
                yield b"".join((cell_open, rank[1], n, cell))
                pos = end
                continue
        if start == -1:
            m = re.compile(rb"<" + p + rb'row\b[^>]*\br="' + str(row).encode() + b'"').search(xml, pos)
            if m is None:  # a row below the data (or in a gap): added where it belongs
                later = next((r for r in any_row.finditer(xml, pos) if int(r.group(1)) > row), None)
                at = later.start() if later else xml.index(b"</" + p + b"sheetData>", pos)
                yield view[pos:at]
                yield (f'<{ps}row r="{row}">' + _cell_xml(ps, f"{letters}{row}", values[row], "", dates)
                       + f"</{ps}row>").encode("utf-8")
                pos = at
                continue
            start = m.start()
        open_end = xml.index(b">", start)
        ref = f"{letters}{row}"
        if xml[open_end - 1:open_end] == b"/":  # <row r="5"/>: no cells yet
            yield view[pos:open_end - 1]
            yield (">" + _cell_xml(ps, ref, values[row], "", dates) + f"</{ps}row>").encode("utf-8")
            pos = open_end + 1
            continue
        cut, keep_from, style = _cell_at(xml, open_end + 1, xml.index(row_end, open_end), cell_re, p, ref.encode(),
                                         column)
        yield view[pos:cut]
        yield _cell_xml(ps, ref, values[row], style.decode(), dates).encode("utf-8")
        pos = keep_from
    yield view[pos:]


_BIG = 16 << 20  # bytes: an edited part this large is deflated in chunks on two threads


_DATE_1904 = re.compile(r'<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"')


def write_tabs(data: bytes, tabs: Iterable[Tab | Later], edits: Iterable[CellEdit] = (),
               progress: Callable[[str], None] | None = None) -> bytes:
    """The package with each tab replacing the sheet of its name (or appended as a new last sheet),
    and the cell edits made in their sheets (`progress`: told each sheet as it is written). Every part
    it deflates is inflated and checked as it is made (zipwrite.deflated); the rest are copied as they were."""
    with ThreadPoolExecutor(2) as pool, quick_handoffs():  # deflates sheets while the next is worked on
        return _write_tabs(Package(data), list(tabs), list(edits), pool, progress or (lambda _: None))


def _write_tabs(pkg: Package, tabs: list[Tab | Later], edits: list[CellEdit], pool: ThreadPoolExecutor,
                progress: Callable[[str], None]) -> bytes:
    parts = _Parts(pkg)
    # cell edits alone take no style but the date format, and that only when they write dates (tabs take
    # it anyway: post's million invoice numbers are not looked through for one)
    styles = _styles(parts) if tabs else StyleBook(parts["xl/styles.xml"])
    wb_xml = parts[pkg.workbook_part].decode("utf-8")
    epoch = _epoch(wb_xml)
    placed = [(ref.part, e) for e in edits if e.values and (ref := pkg.sheet(e.sheet)) is not None]
    needs_dates = bool(tabs) or any(isinstance(v, date) for _, e in placed for v in e.values.values())
    dates = _dates(styles, epoch) if needs_dates else None
    last_edit = {part: k for k, (part, _) in enumerate(placed)}  # a part's last edit may stream
    for k, (part, edit) in enumerate(placed):
        progress(f"Writing {edit.header.lower()}s into {edit.sheet}" if edit.header else f"Writing into {edit.sheet}")
        if last_edit[part] != k:  # edited again later: kept in memory for that edit
            parts[part] = b"".join(_edit_cells(parts[part], edit, dates=dates))
            continue
        # deflated on the pool as it is edited, while the tabs render; a large sheet (Timesheets) is
        # inflated, edited and deflated a window at a time, never held whole
        deflater = Deflater(pool)
        held = parts.new.get(part)  # edited before: from memory
        if held is None and pkg.info(part).file_size > _BIG:
            with pkg.stream(part) as source:
                deflater.write_pieces(_edit_streamed(source.read, edit, _BIG, dates), _BIG // 4)
        else:
            deflater.write_pieces(_edit_cells(held if held is not None else parts[part], edit, dates=dates),
                                  _BIG // 4)
        parts.stream(part, deflater)
    wb_rels_part = rels_path(pkg.workbook_part)
    wb_rels = parts[wb_rels_part].decode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    replaced_ids: set[int] = set()
    sheet_ids = [s.sheet_id for s in pkg.sheets]
    rel_ids = set(re.findall(r'\bId="([^"]+)"', wb_rels))
    numbers = [int(m.group(1)) for p in parts.names() if (m := re.match(r"xl/worksheets/sheet(\d+)\.xml$", p))]
    next_number = max(numbers, default=0) + 1
    rel_prefix = re.search(rf'xmlns:(\w+)="{re.escape(R_NS)}"', wb_xml)

    part_of: dict[str, str] = {}  # tab name -> its sheet part; new sheets placed in the tabs' order
    names = _names(tabs)
    for name, hidden in names:
        existing = pkg.sheet(name)
        if existing is not None:
            part_of[name] = existing.part
            replaced_ids.add(existing.sheet_id)
            continue
        part = part_of[name] = f"xl/worksheets/sheet{next_number}.xml"
        parts.placed.append(part)  # in the archive in the tabs' order, though written in another
        next_number += 1
        rid = next(f"rId{n}" for n in range(1, 10**6) if f"rId{n}" not in rel_ids)
        rel_ids.add(rid)
        sheet_id = max(sheet_ids, default=0) + 1
        sheet_ids.append(sheet_id)
        target = posixpath.relpath(part, posixpath.dirname(pkg.workbook_part))
        rel_attr = f'{rel_prefix.group(1)}:id="{rid}"' if rel_prefix else f'r:id="{rid}" xmlns:r="{R_NS}"'
        state = ' state="veryHidden"' if hidden else ""
        wb_xml = _insert_before_close(wb_xml, "sheets",
                                      f'<§sheet name="{attr(name)}" sheetId="{sheet_id}"{state} {rel_attr}/>')
        wb_rels = _insert_before_close(
            wb_rels, "Relationships", f'<§Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="{target}"/>'
        )
        types = _insert_before_close(types, "Types", f'<§Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/>')

    for x in tabs:
        if isinstance(x, Apart):
            progress(f"Writing {', '.join(x.names)} in a second process")
    def render(ts: list[Tab]) -> dict[str, Deflater]:
        return _render_tabs(_grouped(ts), part_of, styles, epoch, pool, _carrying(pkg, parts, part_of, ts), progress)

    own = [x for x in tabs if isinstance(x, Tab)]
    made_here = render(own)
    apart: dict[tuple[str, ...], dict[str, tuple[Deflated, str | None]]] = {}  # rendered in the other process
    for x in tabs:
        if isinstance(x, Apart) and (got := x.result()) is not None:
            apart[x.names] = got
    # made here after the rest: a second process that did not hand its tabs back leaves the same workbook
    rest = [t for x in tabs if isinstance(x, Later) and x.names not in apart for t in made([x])]
    if rest:
        made_here |= render(rest)
    done: dict[str, tuple[Deflater | Deflated, str | None]] = {
        t.name: (made_here[t.name], t.seal) for t in [*own, *rest]}
    for got in apart.values():
        done.update(got)
    sealed: list[tuple[str, str, Deflater | Deflated]] = []  # (sheet, seal, its part as deflated)
    for name, _ in names:
        deflated, seal = done[name]
        parts.rendered(part_of[name], deflated)
        if seal is not None:
            sealed.append((name, seal, deflated))

    wb_xml = _print_titles(wb_xml, [name for name, hidden in names if not hidden])
    wb_xml = _with_names(without_seals(wb_xml, [name for name, _ in names]),  # the part's CRC once it has deflated
                         "".join(seal_xml(name, d.crc, d.size, seal) for name, seal, d in sealed))
    new_styles = styles.result()
    if new_styles is not None:
        parts["xl/styles.xml"] = new_styles
    parts[pkg.workbook_part] = wb_xml.encode("utf-8")
    parts[wb_rels_part] = wb_rels.encode("utf-8")
    parts["[Content_Types].xml"] = types.encode("utf-8")
    _drop_calc_chain(pkg, parts, replaced_ids)
    return _zip(pkg, parts)


def _styles(parts: _Parts) -> StyleBook:
    """The book's styles, with every style a tab takes asked for first (in a fixed order: sheetxml.every_style)."""
    if "xl/styles.xml" not in parts:
        raise PackageError("the workbook has no styles part")
    styles = StyleBook(parts["xl/styles.xml"])
    for style in every_style():
        styles.xf(style)
    return styles


def _grouped(tabs: list[Tab]) -> list[Tab]:
    """Tabs of the same columns one after the other (the ledger after its view, to take its blocks)."""
    first_of: dict[tuple, int] = {}
    for k, t in enumerate(tabs):
        first_of.setdefault(t.columns, k)
    return sorted(tabs, key=lambda t: first_of[t.columns])


def _names(tabs: list[Tab | Later]) -> list[tuple[str, bool]]:
    """Each tab's name and whether it is very hidden, in order (tabs made later by the names they will have)."""
    out: list[tuple[str, bool]] = []
    for x in tabs:
        out += [(n, n in x.hidden) for n in x.names] if isinstance(x, Later) else [(x.name, x.hidden)]
    return out


def _epoch(wb_xml: str) -> date:
    """Day 0 of the workbook's date system."""
    return EPOCH_1904 if _DATE_1904.search(wb_xml) else EPOCH_1900


def _carrying(pkg: Package, parts: _Parts, part_of: dict[str, str], tabs: list[Tab]
              ) -> Callable[[Tab], tuple[str | None, str]]:
    """What each replaced sheet carries over (_carried_over), read on a thread of its own while the first
    tabs render; (None, "") for a new sheet."""
    inflating = ThreadPoolExecutor(1)
    carried = {t.name: inflating.submit(_carried_over, pkg, parts, part_of[t.name])
               for t in tabs if pkg.has(part_of[t.name])}
    inflating.shutdown(wait=False)  # its thread ends once it has read them all
    return lambda tab: carried[tab.name].result() if tab.name in carried else (None, "")


def _render_tabs(tabs: list[Tab], part_of: dict[str, str], styles: StyleBook, epoch: date,
                 pool: ThreadPoolExecutor, carried: Callable[[Tab], tuple[str | None, str]],
                 progress: Callable[[str], None]) -> dict[str, Deflater]:
    """Each tab rendered, and deflated on `pool` as it renders, by name."""
    rendered = Rendered()
    runs: Runs = {}  # the deflated blocks of a tab the next may take (with their XML: see Rendered)
    by_name: dict[str, Deflater] = {}
    for k, tab in enumerate(tabs):
        progress(f"Writing {tab.name} ({len(tab.rows):,} rows)")
        hold = k + 1 < len(tabs) and tabs[k + 1].columns == tab.columns  # the next may take its blocks
        code_name, kept = carried(tab)
        deflater = by_name[tab.name] = Deflater(pool, runs=runs, remember=hold)
        refs = tab.name in SHEET_BY_NAME  # an input sheet's cells carry their references: edited in place later
        render_chunks(tab, styles, code_name, kept, deflater.write, epoch, rendered, hold, refs)
        if not hold:
            runs.clear()
    return by_name


@dataclass(frozen=True)
class Apart(Later):
    """Tabs made later that another process makes and renders (`result`: waits for what it hands back;
    None when it did not, and the writer makes them itself)."""

    result: Callable[[], dict[str, tuple[Deflated, str | None]] | None] = lambda: None


def render_apart(data: bytes, later: Later) -> dict[str, tuple[Deflated, str | None]] | None:
    """The tabs `later` makes, rendered and deflated as the write of `data` would render them, with their
    seals: the work of the other process. None if a tab took a style the book does not have yet (its
    number could differ from the one the write gives it)."""
    pkg = Package(data)
    parts = _Parts(pkg)
    styles = _styles(parts)
    before = styles.additions()
    epoch = _epoch(parts[pkg.workbook_part].decode("utf-8"))
    tabs = made([later])
    part_of = {t.name: ref.part if (ref := pkg.sheet(t.name)) else "" for t in tabs}  # "": a sheet not there yet
    with ThreadPoolExecutor(1) as pool:
        deflaters = _render_tabs(_grouped(tabs), part_of, styles, epoch, pool, _carrying(pkg, parts, part_of, tabs),
                                 lambda _: None)
        done = {t.name: (deflaters[t.name].done(), t.seal) for t in tabs}
    return done if styles.additions() == before else None


def _zip(pkg: Package, parts: _Parts) -> bytes:
    """Entries in their original order; unchanged ones copied as their compressed bytes, changed ones
    re-deflated with their original time (or as deflated while they were produced), new ones at the end
    with a fixed time."""
    infos = {i.filename: i for i in pkg.infos}
    jobs: list[tuple[Any, ...]] = []  # (what makes the entry, its arguments)
    for name in parts.names():
        info = infos.get(name)
        if name in parts.streamed:
            jobs.append((parts.streamed[name].entry, name, info.date_time if info else FIXED_TIME,
                         info.external_attr if info else 0))
        elif info is not None and (name not in parts.new or parts.new[name] == pkg.part(name)):
            jobs.append((copied, pkg.data, info))
        elif info is not None:
            stored = info.compress_type == zipfile.ZIP_STORED
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            jobs.append((compressed, name, parts.new[name], info.date_time, method, info.external_attr))
        else:
            jobs.append((compressed, name, parts.new[name], FIXED_TIME))
    with ThreadPoolExecutor(2) as pool:  # deflating lets go of the interpreter: parts deflate side by side
        return write_zip(list(pool.map(lambda job: job[0](*job[1:]), jobs)))


def rewrite_parts(data: bytes, changes: dict[str, Callable[[bytes], bytes]],
                  additions: dict[str, bytes] | None = None) -> bytes:
    """The package with some parts changed by a function and parts added at the end (fixed times)."""
    pkg = Package(data)
    parts = _Parts(pkg)
    for name, change in changes.items():
        parts[name] = change(pkg.required(name))
    for name, body in (additions or {}).items():
        parts[name] = body
    return _zip(pkg, parts)
