"""A large sheet read in row ranges, on several cores, reads exactly as when it is read whole."""

import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import fastexcel
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlbilling.io import reader
from xlbilling.io.package import Package
from xlbilling.io.reader import read_book
from xlbilling.io.sheet_parts import Uncuttable, cut_sheet, renumber_row
from xlbilling.io.zipwrite import StoredZipFile, compressed
from xlbilling.schema import SHEET_BY_NAME, normalize

from .books import write_book

HEAD = ["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Billable",
        "Approved", "Notes"]
SPEC = SHEET_BY_NAME["Timesheets"]
WANTED = {normalize(c.name) for c in SPEC.columns}


def _entry(k: int) -> list:
    return [f"T{k}", date(2026, 10, 1 + k % 28), f"Tech {k % 7}", "1001", "AGR-1", "Remote", (k % 8) / 4 + 0.25,
            None, "Y", f"note {k}" if k % 3 else None]


# What a row of the generated sheets holds: an entry, nothing (a blank row), an entry with an Excel
# error in one cell, with a formula that has no calculated value, or with only some cells filled.
ROW_KINDS = st.sampled_from(["entry", "entry", "entry", "blank", "error", "formula", "partial"])


def _rows(kinds: list[str]) -> list[list]:
    rows = [HEAD]
    for k, kind in enumerate(kinds):
        row = _entry(k)
        if kind == "blank":
            row = [None] * len(HEAD)
        elif kind == "error":
            row[k % len(HEAD)] = "#N/A"
        elif kind == "formula":
            row[6] = "=1+1"
        elif kind == "partial":
            row = [v if j % 2 else None for j, v in enumerate(row)]
        rows.append(row)
    return rows


def _sheet_file(path, rows: list[list], top: int = 1, left: int = 1):
    """A workbook whose Timesheets table starts at the given row and column (openpyxl writes no
    element for a row without values, so blank rows leave gaps in the row numbers)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Timesheets"
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(top + i, left + j, value)
    wb.save(path)
    return path


def _whole(path):
    pkg = Package.open(path)
    part = pkg.sheet("Timesheets").part
    xl = fastexcel.read_excel(str(path))
    with_parts, reader.part_count = reader.part_count, lambda *size: 1
    try:
        return reader._load_file_sheet(xl, pkg, "Timesheets", part, SPEC, path)
    finally:
        reader.part_count = with_parts


def _in_parts(path, parts: int):
    pkg = Package.open(path)
    return reader._load_in_parts(pkg, "Timesheets", pkg.sheet("Timesheets").part, WANTED, parts)


def _same(a, b) -> None:
    assert (a.header_row, a.rows) == (b.header_row, b.rows)
    assert [(h, c, cells.to_pylist()) for h, c, cells in a.columns] == \
        [(h, c, cells.to_pylist()) for h, c, cells in b.columns]
    assert sorted(a.error_cells) == sorted(b.error_cells)
    assert a.uncalculated == b.uncalculated


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ROW_KINDS, min_size=1, max_size=120), st.integers(2, 6), st.integers(1, 4), st.integers(1, 3))
def test_a_sheet_read_in_parts_is_read_as_whole(tmp_path, kinds, parts, top, left):
    path = _sheet_file(tmp_path / "t.xlsx", _rows(kinds), top, left)
    cut = _in_parts(path, parts)
    assert cut is not None
    _same(cut, _whole(path))


def test_the_ranges_hold_every_row_once_with_the_headers_above_each(tmp_path):
    path = _sheet_file(tmp_path / "t.xlsx", _rows(["entry"] * 300 + ["blank"] * 3 + ["entry"] * 300), top=2)
    pkg = Package.open(path)
    part = pkg.sheet("Timesheets").part
    original = [int(r.get("r")) for r in ET.fromstring(pkg.part(part)).iter() if r.tag.endswith("}row")]
    pieces = list(cut_sheet(pkg, part, 4, tmp_path))
    assert len(pieces) == 4 and pieces[0].first_row == 3
    seen = []
    for k, piece in enumerate(pieces):
        with zipfile.ZipFile(piece.path) as z:
            assert z.testzip() is None
            assert set(z.namelist()) == {i.filename for i in pkg.infos}
            root = ET.fromstring(z.read(part))  # well formed on its own
        rows = [int(r.get("r")) for r in root.iter() if r.tag.endswith("}row")]
        assert rows[0] == piece.first_row - 1  # the header row, or its copy just above the range
        assert rows[1] == piece.first_row or k == 0
        seen += rows[1:]
        assert not any(d.tag.endswith("}dimension") for d in root.iter())
    assert seen == original[1:]


def test_the_header_copy_takes_its_new_row_number():
    row = b'<row r="3" spans="2:4"><c r="B3" t="s"><v>0</v></c><c r="AA3" t="inlineStr"><is><t>r="C3"</t></is></c></row>'
    moved = renumber_row(row, 3, 41)
    assert moved == (b'<row r="41" spans="2:4"><c r="B41" t="s"><v>0</v></c><c r="AA41" t="inlineStr">'
                     b'<is><t>r="C3"</t></is></c></row>')


def test_a_book_read_in_parts_is_the_same_book_with_the_same_errors(tmp_path, monkeypatch):
    rows = [HEAD[:9]] + [_entry(k)[:9] for k in range(3000)]
    rows[100][0] = "#N/A"
    rows[1700][6] = "lots"
    rows[2900][1] = "2026-13-01"
    rows.insert(1500, [None] * 9)
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": rows})
    whole = read_book(path)
    monkeypatch.setattr(reader, "part_count", lambda *size: 3)
    in_parts = read_book(path)
    assert [(e.where, e.found) for e in in_parts.errors] == [(e.where, e.found) for e in whole.errors]
    assert {e.where for e in whole.errors} == {"Timesheets!A101", "Timesheets!G1702", "Timesheets!B2902"}  # below the blank row
    rows.pop(1500)
    rows[100][0], rows[1700][6], rows[2900][1] = "T99", 1, date(2026, 10, 1)
    path = write_book(tmp_path / "ok.xlsx", {"Timesheets": rows})
    in_parts = read_book(path).book.time_entries
    monkeypatch.setattr(reader, "part_count", lambda *size: 1)
    assert in_parts == read_book(path).book.time_entries and len(in_parts) == 3000


def test_a_sheet_with_prefixed_tags_is_read_whole(tmp_path, monkeypatch):
    path = _sheet_file(tmp_path / "t.xlsx", _rows(["entry"] * 50))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in parts if n.startswith("xl/worksheets/"))
    body = parts[name].split(b"?>", 1)[-1]  # after the XML declaration, if there is one
    xml = re.sub(rb"<(/?)(\w+)([ >/])", rb"<\1x:\2\3", body)
    parts[name] = xml.replace(b'xmlns="', b'xmlns:x="', 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    pkg = Package.open(path)
    try:
        list(cut_sheet(pkg, name, 3, tmp_path))
        raise AssertionError("a prefixed sheet was cut")
    except Uncuttable:
        pass
    assert _in_parts(path, 3) is None
    monkeypatch.setattr(reader, "part_count", lambda *size: 3)
    loaded = reader._load_file_sheet(fastexcel.read_excel(str(path)), pkg, "Timesheets", name, SPEC, path)
    assert loaded.rows == 50 and loaded.columns[0][2].to_pylist()[:2] == ["T0", "T1"]
    monkeypatch.undo()
    _same(loaded, _whole(path))


def test_an_error_cell_is_named_where_it_is_when_the_table_does_not_start_at_a1(tmp_path):
    rows = [HEAD] + [_entry(k) for k in range(3)]
    rows[2][7] = "#N/A"  # Billable: optional, so only the error itself can report it
    path = _sheet_file(tmp_path / "t.xlsx", rows, top=3, left=2)
    book = openpyxl.load_workbook(path)
    customers = book.create_sheet("Customers")
    customers.append(["Customer ID", "Name"])
    customers.append(["1001", "Acme"])
    contracts = book.create_sheet("Contracts")
    contracts.append(["Contract ID", "Customer ID", "Start Date", "Billing Frequency"])
    contracts.append(["AGR-1", "1001", date(2026, 1, 1), "monthly"])
    book.save(path)
    [err] = read_book(path).errors
    assert err.where == "Timesheets!I5" and err.found == "#N/A"


def test_a_stored_entry_written_in_chunks_reads_back(tmp_path):
    first = compressed("a.txt", b"hello " * 1000, (1980, 1, 1, 0, 0, 0))
    out = StoredZipFile(tmp_path / "z.zip", [first], "big.xml", (2026, 11, 23, 8, 0, 0))
    chunks = [bytes([65 + k]) * (1000 + k) for k in range(20)]
    for chunk in chunks:
        out.write(chunk)
    out.close()
    with zipfile.ZipFile(tmp_path / "z.zip") as z:
        assert z.testzip() is None
        assert z.read("a.txt") == b"hello " * 1000 and z.read("big.xml") == b"".join(chunks)
        assert z.getinfo("big.xml").compress_type == zipfile.ZIP_STORED


def test_how_many_ranges_a_sheet_is_read_in(monkeypatch):
    monkeypatch.setattr(reader.os, "cpu_count", lambda: 2)
    mb = 1 << 20
    assert reader.part_count(10 * mb) == 1  # small: read whole
    assert reader.part_count(100 * mb) == 3  # ranges of at least MIN_PART_BYTES
    assert reader.part_count(500 * mb) == 4  # two per core
    assert reader.part_count(500 * mb, 100 * mb) == 2  # many shared strings: each range reads them again
    monkeypatch.setattr(reader.os, "cpu_count", lambda: 1)
    assert reader.part_count(500 * mb) == 1  # one core: nothing to share the work with
