"""A tab whose row blocks an earlier tab of the same write already rendered (the posted ledger and
its InvoiceLines view) takes them as written: the XML is byte for byte what rendering it afresh gives."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.tabs import DATE, INT, MONEY, TEXT, Column, Tab
from xlbilling.io import sheetxml
from xlbilling.io.sheetxml import Rendered, render_chunks
from xlbilling.io.styles import StyleBook

STYLES = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
          b'spreadsheetml/2006/main"><fonts count="1"><font/></fonts><fills count="2"><fill/><fill/></fills>'
          b'<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
          b'<cellXfs count="1"><xf/></cellXfs></styleSheet>')
COLUMNS = (Column("ID", TEXT, 10), Column("Day", DATE, 12), Column("Amount", MONEY, 12))


def render(tab, styles, code_name=None, sink=None, rendered=None):
    return b"".join(render_chunks(tab, styles, code_name, sink=sink, rendered=rendered))


ROW = st.tuples(st.sampled_from(["A-1", "=SUM(A1)", "B 2", "", None]),
                st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
                st.one_of(st.none(), st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2)))


@settings(max_examples=40, deadline=None)
@given(st.lists(ROW, min_size=0, max_size=70), st.lists(ROW, max_size=5), st.integers(0, 69),
       st.sampled_from([None, "error"]))
def test_a_block_taken_from_an_earlier_tab_is_what_rendering_it_gives(rows, extra, changed, fill):
    sheetxml._CHUNK_ROWS, size = 8, sheetxml._CHUNK_ROWS  # many blocks from few rows
    try:
        view = Tab("InvoiceLines", COLUMNS, rows + extra)
        later = list(rows)
        if later and changed < len(later):
            later[changed] = ("changed", None, D("1.00"))  # one block differs: written afresh
        fills = [fill if k == changed else None for k in range(len(later))]
        ledger = Tab("xlbPostedLines", COLUMNS, later, row_fills=fills)
        styles = StyleBook(STYLES)
        shared = Rendered()
        first = render(view, styles, rendered=shared)
        sent: list[bytes] = []
        again = render(ledger, styles, "Ledger", sink=lambda chunk: sent.append(bytes(chunk)), rendered=shared)
        afresh = StyleBook(STYLES)  # the same styles, registered in the same order, without the reuse
        assert first == render(view, afresh)
        alone = render(ledger, afresh, "Ledger")
        assert again == alone and b"".join(sent) == alone
    finally:
        sheetxml._CHUNK_ROWS = size


def test_styles_are_registered_in_the_order_rows_use_them_on_every_run():
    """A tab whose rows have several fills gets the same styles.xml and cell styles from every process
    (string hashing, and so the order of a set of fills, differs from one process to the next)."""
    import os
    import subprocess
    import sys
    show = ("import sys; from decimal import Decimal as D; from xlbilling.core.tabs import Tab; "
            "from xlbilling.io.styles import StyleBook; from xlbilling.io.sheetxml import render_chunks; "
            "from tests.test_render_reuse import STYLES, COLUMNS; styles = StyleBook(STYLES); "
            "fills = ['warning', None, 'error', 'info', 'error', None]; "
            "tab = Tab('Findings', COLUMNS, [('x', None, D(k)) for k in range(6)], row_fills=fills); "
            "sys.stdout.buffer.write(b''.join(render_chunks(tab, styles)) + styles.result())")
    runs = {subprocess.run([sys.executable, "-c", show], capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(6)}
    assert len(runs) == 1


FILLS = {"error": "FFFFC7CE", "warning": "FFFFEB9C", "info": "FFDDEBF7"}
TEXTS = st.sampled_from(["A-1", "=SUM(A1)", "-5", " padded ", "B & <C>", "", None])
MIXED = st.one_of(TEXTS, st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(-5, 5))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(TEXTS, st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 1, 1))),
                          st.one_of(st.none(), st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2)),
                          MIXED, st.one_of(st.none(), st.integers(-10**9, 10**9)), st.sampled_from([None, *FILLS])),
                max_size=30))
def test_every_cell_reads_back_as_written_in_its_rows_fill(tmp_path_factory, rows):
    """Whatever path a column takes (one kind, blanks, mixed kinds; rows filled or not), Excel's
    reader sees each value, its number format, its row's fill, and text that looks like a formula as text."""
    import openpyxl

    from tests.books import write_book
    from xlbilling.io.package import write_tabs

    sheetxml._CHUNK_ROWS, size = 8, sheetxml._CHUNK_ROWS
    try:
        columns = (*COLUMNS, Column("Any", TEXT, 10), Column("Count", INT, 8))
        tab = Tab("Out", columns, [r[:5] for r in rows], row_fills=[r[5] for r in rows])
        path = write_book(tmp_path_factory.mktemp("b") / "b.xlsx", {})
        path.write_bytes(write_tabs(path.read_bytes(), [tab]))
    finally:
        sheetxml._CHUNK_ROWS = size
    ws = openpyxl.load_workbook(path)["Out"]
    for k, row in enumerate(rows, start=2):
        fill = row[5]
        for c, value in enumerate(row[:5], start=1):
            got = ws.cell(k, c)
            if value is None or value == "":
                assert got.value is None
            elif isinstance(value, D):
                assert D(str(got.value)) == value and got.number_format == "#,##0.00"
            elif isinstance(value, date) and c == 4:  # a day in a text column: its serial, as General shows it
                assert got.value == (value - date(1899, 12, 30)).days and got.number_format == "General"
            elif isinstance(value, date):
                assert got.value.date() == value and got.number_format == "yyyy-mm-dd"
            elif c == 5:  # a column of whole numbers
                assert got.value == value and got.number_format == "0"
            else:
                assert got.value == value
                assert bool(got.quotePrefix) == (isinstance(value, str) and value[0] in "=+-@")
            if fill:  # blank cells too: the whole row shows its fill
                assert got.fill.fgColor.rgb == FILLS[fill]
            else:
                assert got.fill.fgColor.rgb in (None, "00000000")


@settings(max_examples=25, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=40), st.integers(0, 39))
def test_a_block_taken_from_an_earlier_tab_takes_its_deflated_run_and_the_part_inflates_to_its_xml(rows, changed):
    import zlib
    from concurrent.futures import ThreadPoolExecutor
    from xlbilling.io.zipwrite import Deflater, Runs
    sheetxml._CHUNK_ROWS, size = 8, sheetxml._CHUNK_ROWS
    try:
        later = list(rows)
        if changed < len(later):
            later[changed] = ("changed", None, D("1.00"))
        view, ledger = Tab("InvoiceLines", COLUMNS, rows), Tab("xlbPostedLines", COLUMNS, later)
        styles, shared, runs = StyleBook(STYLES), Rendered(), Runs()
        with ThreadPoolExecutor(2) as pool:
            first = Deflater(pool, runs=runs, remember=True)
            render_chunks(view, styles, sink=first.write, rendered=shared)
            second = Deflater(pool, runs=runs)
            xml = b"".join(render_chunks(ledger, styles, "Ledger", sink=second.write, rendered=shared))
            alone = Deflater(pool)
            render_chunks(ledger, StyleBook(STYLES), "Ledger", sink=alone.write)
            taken = {id(p) for p in first.entry("a", (2026, 1, 1, 0, 0, 0)).pieces}
            entry, fresh = second.entry("b", (2026, 1, 1, 0, 0, 0)), alone.entry("c", (2026, 1, 1, 0, 0, 0))
        assert zlib.decompress(b"".join(entry.pieces), -15) == xml
        assert entry.crc == zlib.crc32(xml) == fresh.crc and entry.size == len(xml)
        assert b"".join(entry.pieces) == b"".join(fresh.pieces)  # a run depends on its chunk alone
        same_blocks = sum(rows[lo:lo + 8] == later[lo:lo + 8] for lo in range(0, len(rows), 8))
        assert sum(id(p) in taken for p in entry.pieces[:-1]) == same_blocks  # taken, not deflated again
    finally:
        sheetxml._CHUNK_ROWS = size


def test_text_that_looks_like_a_formula_is_quoted_each_time_it_repeats(tmp_path):
    """Repeated text is escaped once and taken from then on: text to be quoted never is, so its every
    occurrence keeps the quote prefix, in a column of text alone or beside other kinds."""
    import openpyxl

    from tests.books import write_book
    from xlbilling.io.package import write_tabs

    values = ["=1+1", "A-1", "=1+1", "-5", "A-1", "-5", "=1+1"]
    tab = Tab("Out", (Column("ID", TEXT, 10), Column("Any", TEXT, 10)),
              [(v, v if k % 2 else D(k)) for k, v in enumerate(values)])
    path = write_book(tmp_path / "b.xlsx", {})
    path.write_bytes(write_tabs(path.read_bytes(), [tab]))
    ws = openpyxl.load_workbook(path)["Out"]
    for k, v in enumerate(values, start=2):
        assert ws.cell(k, 1).value == v and bool(ws.cell(k, 1).quotePrefix) == (v[0] in "=-")
        if (k - 2) % 2:
            assert ws.cell(k, 2).value == v and bool(ws.cell(k, 2).quotePrefix) == (v[0] in "=-")


@settings(max_examples=30, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=30), st.lists(st.integers(0, 99), min_size=1, max_size=3))
def test_what_a_row_has_past_the_last_column_is_not_written(rows, trailing):
    """A record is a tab's row as it is (its source row and other trailing fields after the columns):
    the sheet is the one its columns alone make."""
    records = [(*row, *trailing) for row in rows]
    assert render(Tab("InvoiceLines", COLUMNS, records), StyleBook(STYLES)) == \
        render(Tab("InvoiceLines", COLUMNS, rows), StyleBook(STYLES))
