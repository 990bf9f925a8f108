"""Output tabs are written without cell references (each cell in the column after the one before it, a
blank an empty <c/>); input sheets keep them, for their cells are edited in place. Every reader a user
or this tool opens them with (calamine, as our reader and fastexcel use it; openpyxl; LibreOffice)
sees the same cells either way."""

import csv
import re
from datetime import date
from decimal import Decimal as D

import openpyxl
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.books import write_book
from tests.office import convert, csv_of
from xlbilling.core.tabs import DATE, INT, MONEY, TEXT, Column, Tab
from xlbilling.io import sheetxml
from xlbilling.io.package import Package, write_tabs

COLUMNS = (Column("ID", TEXT, 10), Column("Day", DATE, 12), Column("Amount", MONEY, 12),
           Column("Note", TEXT, 50), Column("Count", INT, 8))
CELLS = st.tuples(st.sampled_from(["A-1", "=SUM(A1)", " padded ", "B & <C>", "", None]),
                  st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
                  st.one_of(st.none(), st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2)),
                  st.one_of(st.none(), st.sampled_from(["note", "-5", "x_x0041_y"]), st.integers(-3, 3)),
                  st.one_of(st.none(), st.integers(-10**6, 10**6)))


def _both(tmp_path, rows, fills):
    """The rows written as an output tab ("Out") and as an input sheet ("Charges"), in one workbook."""
    tabs = [Tab(name, COLUMNS, rows, row_fills=fills) for name in ("Out", "Charges")]
    path = write_book(tmp_path / "b.xlsx", {})
    path.write_bytes(write_tabs(path.read_bytes(), tabs))
    return path


def _sheet_xml(path, name):
    pkg = Package(path.read_bytes())
    return pkg.part(pkg.sheet(name).part)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(CELLS, st.sampled_from([None, None, "error", "info"])), max_size=25))
def test_an_output_tab_reads_cell_for_cell_as_the_same_tab_written_with_references(tmp_path_factory, rows):
    sheetxml._CHUNK_ROWS, size = 7, sheetxml._CHUNK_ROWS  # several blocks, some of one fill, some mixed
    try:
        path = _both(tmp_path_factory.mktemp("b"), [r for r, _ in rows], [f for _, f in rows])
    finally:
        sheetxml._CHUNK_ROWS = size
    out, inp = _sheet_xml(path, "Out"), _sheet_xml(path, "Charges")
    data = out[out.index(b"</row>"):]  # the rows below the header
    assert b"<c r=" not in data and (not rows or b'<row r="2">' in data)
    assert all(re.search(rb"<c r=\"[A-Z]+%d\"" % (k + 2), inp) for k, ((v, *_), _) in enumerate(rows) if v)
    book = python_calamine.load_workbook(path)
    assert book.get_sheet_by_name("Out").to_python() == book.get_sheet_by_name("Charges").to_python()
    wb = openpyxl.load_workbook(path)
    a, b = wb["Out"], wb["Charges"]
    for r in range(1, len(rows) + 2):
        for c in range(1, len(COLUMNS) + 1):
            x, y = a.cell(r, c), b.cell(r, c)
            assert (x.value, x.number_format, x.fill.fgColor.rgb, bool(x.quotePrefix)) == \
                   (y.value, y.number_format, y.fill.fgColor.rgb, bool(y.quotePrefix)), (r, c)


def test_libreoffice_reads_each_cell_of_an_output_tab_in_its_column(tmp_path):
    rows = [("A-1", None, D("1.50"), None, 7),  # blanks between cells
            (None, date(2026, 11, 1), None, "note", None),  # a blank first and last
            (None, None, None, None, None),  # a row of blanks
            ("=1+1", date(2026, 12, 31), D("-2.00"), " padded ", 0)]
    path = _both(tmp_path, rows, [None, "error", None, None])
    out = tmp_path / "csv"
    convert(path, csv_of(), out, tmp_path, check=True)  # every sheet
    read = {s: list(csv.reader((out / f"b-{s}.csv").open())) for s in ("Out", "Charges")}
    assert read["Out"] == read["Charges"]
    assert read["Out"][1:] == [["A-1", "", "1.5", "", "7"], ["", "2026-11-01", "", "note", ""],
                               ["", "", "", "", ""], ["=1+1", "2026-12-31", "-2", " padded ", "0"]]
