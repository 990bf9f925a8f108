"""Writing output tabs into a rich .xlsm: nothing the tool does not own changes, and re-writes are stable."""

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from dataclasses import replace
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.tabs import DATE, DATETIME, INT, MONEY, PCT, TEXT, Column, Tab
from xlbilling.io.package import CellEdit, Package, write_tabs

from .rich_book import build_rich_xlsm
from .office import convert, csv_of

INDEX_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
EVIL = "=cmd|' /C calc'!A0"


def register(rows=2):
    cols = (Column("Invoice Number"), Column("Customer ID"), Column("Invoice Date", DATE), Column("Total", MONEY),
            Column("Lines", INT), Column("Tax Rate", PCT), Column("Note"))
    data = [(f"INV-{1000 + i}", "1001", date(2026, 11, 1), Decimal("1064.52") + i, i + 1, Decimal("0.0825"),
             EVIL if i == 0 else "+ plain & <text>") for i in range(rows)]
    return Tab("InvoiceRegister", cols, data, row_fills=["error"] + [None] * (rows - 1),
               links={(0, 0): "Forecast!B3"})


def runlog():
    return Tab("RunLog", (Column("When", DATETIME), Column("Command", TEXT)), [(datetime(2026, 11, 23, 9, 30), "close")])


def entries(data):
    with zipfile.ZipFile(BytesIO(data)) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _canon(el):
    return (el.tag, sorted(el.attrib.items()), [_canon(c) for c in el])


@pytest.fixture()
def rich(tmp_path):
    return build_rich_xlsm(tmp_path / "Rich.xlsm").read_bytes()


def test_every_part_the_tool_does_not_own_is_byte_identical(rich):
    once = write_tabs(rich, [register(), runlog()])
    twice = write_tabs(once, [register(5), runlog()])
    before, after = entries(rich), entries(twice)
    for name, data in before.items():
        if name not in INDEX_PARTS:
            assert after[name] == data, name
    assert list(after)[: len(before)] == list(before)  # original order kept, new parts at the end
    new_parts = "|".join(re.escape(n.rsplit("/", 1)[-1]) for n in after if n not in before)
    mine = rf'<(sheet|Relationship|Override)\b[^>]*(?:{new_parts}|"InvoiceRegister"|"RunLog")[^>]*/>'.encode()
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        added = re.sub(mine, b"", after[name])
        added = re.sub(rb'<definedName name="_xlnm.Print_Titles" localSheetId="\d+">[^<]*</definedName>', b"", added)
        assert added == before[name], name  # the tool adds its sheets and their print titles, nothing else
    old_styles, new_styles = ET.fromstring(before["xl/styles.xml"]), ET.fromstring(after["xl/styles.xml"])
    for old_section in old_styles:
        new_section = new_styles.find(old_section.tag)
        assert [_canon(c) for c in new_section][: len(old_section)] == [_canon(c) for c in old_section]


def test_the_ribbon_vba_and_controls_survive(rich):
    after = entries(write_tabs(rich, [register()]))
    assert b"ui/extensibility" in after["_rels/.rels"] and "customUI/customUI14.xml" in after
    assert "xl/vbaProject.bin" in after and b"macroEnabled" in after["[Content_Types].xml"]
    assert b"x14:dataValidation" in after["xl/worksheets/sheet1.xml"]
    assert b"<definedName" in after["xl/workbook.xml"]


def test_writing_the_same_tabs_again_is_byte_identical(rich):
    once = write_tabs(rich, [register(), runlog()])
    assert write_tabs(once, [register(), runlog()]) == once
    assert write_tabs(rich, [register(), runlog()]) == once


def test_styles_are_not_appended_twice(rich):
    once = write_tabs(rich, [register(), runlog()])
    again = write_tabs(write_tabs(once, [register(9)]), [register(3), runlog()])
    assert entries(again)["xl/styles.xml"] == entries(once)["xl/styles.xml"]


def test_text_is_never_a_formula(rich):
    data = write_tabs(rich, [register()])
    sheet = entries(data)[Package(data).sheet("InvoiceRegister").part]
    assert b"<f>" not in sheet and b"<f " not in sheet
    assert b"=cmd|' /C calc'!A0</t>" in sheet and b"+ plain &amp; &lt;text&gt;" in sheet


def test_openpyxl_and_calamine_read_the_written_values(tmp_path, rich):
    path = tmp_path / "out.xlsm"
    path.write_bytes(write_tabs(write_tabs(rich, [register(), runlog()]), [register(), runlog()]))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Forecast", "Lists", "InvoiceRegister", "RunLog"]
    ws = wb["InvoiceRegister"]
    assert [c.value for c in ws[1]] == ["Invoice Number", "Customer ID", "Invoice Date", "Total", "Lines", "Tax Rate", "Note"]
    assert ws["A2"].value == "INV-1000" and ws["D2"].value == pytest.approx(1064.52) and ws["D2"].number_format == "#,##0.00"
    assert ws["C2"].value == datetime(2026, 11, 1) and ws["G2"].value == EVIL and ws["G2"].data_type == "s"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G3"
    # It prints landscape, one page wide, its header row on every page (written twice: one print title each).
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert wb["RunLog"].print_title_rows == "$1:$1" and wb["Forecast"].print_title_rows is None
    assert ws["A2"].hyperlink.location == "Forecast!B3"
    assert wb["Forecast"]["C2"].value == "=B2*TaxRate"
    rows = python_calamine.load_workbook(path).get_sheet_by_name("InvoiceRegister").to_python()
    assert rows[1][:4] == ["INV-1000", "1001", date(2026, 11, 1), 1064.52] and rows[1][6] == EVIL
    cached = python_calamine.load_workbook(path).get_sheet_by_name("Forecast").to_python()
    assert cached[4][1] == 3540.5  # the user's cached formula value is still there


def test_libreoffice_opens_and_renders_it(tmp_path, rich):
    path = tmp_path / "out.xlsm"
    sealed = replace(register(), seal="0a1b")  # with its seal's hidden name
    path.write_bytes(write_tabs(write_tabs(rich, [sealed, runlog()]), [sealed, runlog()]))
    done = convert(path, "pdf", tmp_path, tmp_path)
    pdf = tmp_path / "out.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), done.stdout + done.stderr
    csv = convert(path, csv_of(3), tmp_path, tmp_path)
    text = (tmp_path / "out-InvoiceRegister.csv").read_text()
    assert "INV-1000,1001,2026-11-01,1064.52,1,8.25%,=cmd|' /C calc'!A0" in text, csv.stdout + text


def test_a_tab_s_seal_holds_while_its_sheet_is_as_written(rich):
    """A sealed tab's digest is kept with the workbook, and given back while its sheet part is byte for
    byte as written: written again (the same rows or others) it holds the new seal alone; with a cell
    edited, or written without a seal, there is none."""
    once = write_tabs(rich, [replace(register(), seal="0a1b"), runlog()])
    assert Package(once).seals() == {"InvoiceRegister": "0a1b"}
    again = write_tabs(once, [replace(register(3), seal="2c3d")])
    assert Package(again).seals() == {"InvoiceRegister": "2c3d"}
    assert entries(again)["xl/workbook.xml"].count(b"xlbilling.seal.") == 1
    edited = write_tabs(again, [], [CellEdit("InvoiceRegister", 1, "", {2: "1002"})])
    assert Package(edited).seals() == {}
    plain = write_tabs(again, [register(3)])
    assert Package(plain).seals() == {} and b"xlbilling.seal." not in entries(plain)["xl/workbook.xml"]
    ET.fromstring(entries(plain)["xl/workbook.xml"])


def test_replacing_a_sheet_keeps_its_code_name(rich):
    once = write_tabs(rich, [register()])
    # give the output sheet a code name as Excel would, then write again
    parts = entries(once)
    part = Package(once).sheet("InvoiceRegister").part
    parts[part] = parts[part].replace(b"<sheetPr>", b'<sheetPr codeName="Sheet9">')
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    again = entries(write_tabs(out.getvalue(), [register(4)]))
    assert b'codeName="Sheet9"' in again[part]


def test_a_chart_a_user_put_on_an_output_tab_stays_on_it(rich):
    """The sheet's drawing reference is carried into the rewritten sheet (its relationship, drawing and
    chart are parts the tool does not own); a sheet without a drawing is read only at its head."""
    once = write_tabs(rich, [register(3)])
    book = openpyxl.load_workbook(BytesIO(once), keep_vba=True)
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(book["InvoiceRegister"], min_col=4, min_row=1, max_row=4),
                   titles_from_data=True)
    book["InvoiceRegister"].add_chart(chart, "J2")
    saved = BytesIO()
    book.save(saved)
    pkg = Package(saved.getvalue())
    part = pkg.sheet("InvoiceRegister").part
    [rel] = [r for r in pkg.relationships(part) if r.get("Type", "").endswith("/drawing")]
    again = write_tabs(saved.getvalue(), [register(6)])
    after = entries(again)
    assert re.search(rb'<drawing [^>]*id="' + rel.get("Id").encode() + rb'"\s*/>', after[part])
    target = rel.get("Target")
    drawing = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
    assert after[drawing] == entries(saved.getvalue())[drawing] and any("chart" in n for n in after)
    assert len(python_calamine.load_workbook(BytesIO(again)).get_sheet_by_name("InvoiceRegister").to_python()) == 7


def test_a_replaced_sheet_without_a_drawing_is_read_only_at_its_head(rich, monkeypatch):
    """What a replaced sheet carries over (code name, drawing references) is looked for at its tail only
    when it has a drawing relationship: a large output tab is not inflated whole for nothing."""
    from xlbilling.io import package
    once = write_tabs(rich, [register(3000)])
    pkg = Package(once)
    part = pkg.sheet("InvoiceRegister").part
    assert pkg.info(part).file_size > 1 << 17 and not pkg.relationships(part)
    read: list[int] = []
    stream = Package.stream

    def counted(self, name):
        f = stream(self, name)
        real = f.read
        f.read = lambda n=-1: read.append(len(got := real(n))) or got
        return f

    monkeypatch.setattr(Package, "stream", counted)
    assert package._carried_over(pkg, package._Parts(pkg), part) == (None, "")
    assert sum(read) <= 1 << 16


def test_calc_chain_entries_of_a_replaced_sheet_are_dropped(rich):
    """Excel reports a workbook as damaged when calcChain lists formulas that no longer exist."""
    once = write_tabs(rich, [register()])
    pkg = Package(once)
    target = pkg.sheet("InvoiceRegister")
    keep_id = pkg.sheet("Forecast").sheet_id
    chain = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><c r="C2" i="{keep_id}"/><c r="C3"/><c r="A2" i="{target.sheet_id}"/>'
             f'<c r="B5" i="{keep_id}"/></calcChain>').encode()
    parts = entries(once)
    parts["xl/calcChain.xml"] = chain
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    after = entries(write_tabs(out.getvalue(), [register(3)]))
    assert re.findall(rb"<c [^>]*/>", after["xl/calcChain.xml"]) == [
        f'<c r="C2" i="{keep_id}"/>'.encode(), b'<c r="C3"/>', f'<c r="B5" i="{keep_id}"/>'.encode()]


def test_cell_edits_set_input_cells_and_keep_the_rest(tmp_path):
    from xlbilling.io.package import CellEdit
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [
        ["Entry ID", "Hours", "Invoice Number", "Notes"], ["T1", 1, None, "a"], ["T2", 2, None, None], ["T3", 3, "X", "c"]]})
    data = path.read_bytes()
    out = write_tabs(data, [], [CellEdit("Timesheets", 2, "Invoice Number", {2: "INV-1", 3: "INV-1", 4: "=2+2"})])
    rows = python_calamine.load_workbook(BytesIO(out)).get_sheet_by_name("Timesheets").to_python()
    assert [r[2] for r in rows[1:]] == ["INV-1", "INV-1", "=2+2"] and rows[1][3] == "a" and rows[3][3] == "c"
    appended = write_tabs(data, [], [CellEdit("Timesheets", None, "Billed On", {3: "INV-2"})])
    rows = python_calamine.load_workbook(BytesIO(appended)).get_sheet_by_name("Timesheets").to_python()
    assert rows[0][4] == "Billed On" and rows[2][4] == "INV-2" and rows[1][4] == ""
    before, after = entries(data), entries(out)
    assert [n for n in before if before[n] != after[n]] == ["xl/worksheets/sheet3.xml"]


def test_rows_added_below_the_last_are_inside_the_sheet_s_dimension(tmp_path, monkeypatch):
    """openpyxl's read-only mode (and pandas, which reads through it) stops at the last row the sheet's
    <dimension> names: rows an import adds below it, and a column added at the right, must be inside it,
    held whole or streamed a window at a time."""
    import openpyxl
    from xlbilling.io import package
    from xlbilling.io.package import CellEdit
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [["Entry ID", "Hours"], ["T1", 1], ["T2", 2]]})
    edits = [CellEdit("Timesheets", 0, "", {r: f"T{r - 1}" for r in range(4, 41)}),
             CellEdit("Timesheets", 1, "", {r: Decimal(r) for r in range(4, 41)}),
             CellEdit("Timesheets", None, "Note", {40: "last"})]
    for big in (package._BIG, 64):
        monkeypatch.setattr(package, "_BIG", big)
        out = tmp_path / f"out{big}.xlsx"
        out.write_bytes(write_tabs(path.read_bytes(), [], edits))
        sheet = openpyxl.load_workbook(out, read_only=True)["Timesheets"]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 40 and rows[-1] == ("T39", 40, "last") and rows[2] == ("T2", 2, None)
        parts = entries(out.read_bytes())
        part = next(xml for name, xml in parts.items() if name.startswith("xl/worksheets/") and b"T39" in xml)
        assert re.search(rb'<dimension ref="A1:C40"\s*/>', part)


@pytest.mark.parametrize("mac", [False, True])
def test_dates_an_edit_writes_are_date_cells_in_the_cell_s_date_format_or_the_book_s(tmp_path, monkeypatch, mac):
    """A date goes in as a date cell, counted from the book's day 0 (1900, or 1904 for an old Mac book):
    in the format of the cell it replaces when that shows dates (the user's dd/mm/yyyy), else in
    yyyy-mm-dd (a General cell, a text one, a new row), held whole or streamed, so that Excel's date
    filters and formulas take it."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from xlbilling.io import package
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Timesheets"
    if mac:
        wb.epoch = CALENDAR_MAC_1904
    ws.append(["Entry ID", "Date"])
    ws.append(["T1", datetime(2026, 1, 2)])
    ws["B2"].number_format = "dd/mm/yyyy"
    ws.append(["T2", "2026-01-03"])  # a date typed as text
    ws["B3"].number_format = "@"
    ws.append(["T3", 4])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    edit = CellEdit("Timesheets", 1, "", {2: date(2026, 10, 5), 3: date(2026, 10, 6), 4: date(2026, 10, 7),
                                          6: date(2026, 10, 9)})
    written = []
    for big in (package._BIG, 64):
        monkeypatch.setattr(package, "_BIG", big)
        out = tmp_path / f"out{big}.xlsx"
        out.write_bytes(write_tabs(path.read_bytes(), [], [edit]))
        written.append(entries(out.read_bytes()))
        sheet = openpyxl.load_workbook(out)["Timesheets"]
        assert [sheet[f"B{r}"].value for r in (2, 3, 4, 6)] == [
            datetime(2026, 10, 5), datetime(2026, 10, 6), datetime(2026, 10, 7), datetime(2026, 10, 9)]
        assert [sheet[f"B{r}"].number_format for r in (2, 3, 4, 6)] == ["dd/mm/yyyy", *["yyyy-mm-dd"] * 3]
        assert sheet["A2"].value == "T1" and sheet["B5"].value is None
    assert written[0] == written[1]


def test_a_row_whose_wrapping_text_takes_lines_is_as_tall_as_them(rich, tmp_path):
    """LibreOffice does not fit a row to its wrapped text when it opens a book (its PDF let a long message
    run over the rows below): a row is written as tall as its longest wrapping cell's lines, counted with
    each character as wide as a digit, so that it is rather too tall than cut; other rows keep the default."""
    message, action = "x" * 61, "first line\nsecond line\n" + "y" * 81
    tab = Tab("Discrepancies", (Column("ID"), Column("Message", width=60), Column("Action", width=40),
                                Column("Amount", MONEY)),
              [("D1", "short", "short", Decimal(1)), ("D2", message, "short", None), ("D3", "short", action, None),
               ("D4", "z " * 600, None, None), ("D5", "a" * 300, Decimal(5), None), ("D6", "w" * 3000, None, None),
               ("D7", "one\ntwo", "three", None)])
    path = tmp_path / "b.xlsm"
    path.write_bytes(write_tabs(rich, [tab]))
    rows = openpyxl.load_workbook(path)["Discrepancies"].row_dimensions
    assert [rows[r].height for r in range(2, 9)] == [None, 30, 75, 300, 75, 409, 30]  # 2 lines; 1+1+3; 20; 5;
    # 50, past Excel's tallest row; two short lines
    part = entries(path.read_bytes())[Package(path.read_bytes()).sheet("Discrepancies").part]
    assert b'<row r="5" ht="300">' in part and b'<row r="2">' in part and b"customHeight" not in part


def test_untouched_entries_keep_their_compressed_bytes(rich):
    from xlbilling.io.zipwrite import copied
    after = write_tabs(rich, [register()])
    with zipfile.ZipFile(BytesIO(rich)) as a, zipfile.ZipFile(BytesIO(after)) as b:
        for info in a.infolist():
            if info.filename not in INDEX_PARTS:
                assert copied(after, b.getinfo(info.filename)).raw == copied(rich, info).raw, info.filename
        assert b.testzip() is None


def test_a_large_edited_sheet_deflates_in_chunks_into_one_valid_part(tmp_path, monkeypatch):
    from xlbilling.io import package
    from xlbilling.io.package import CellEdit
    from .books import write_book
    rows = [["Entry ID", "Hours", "Invoice Number"]] + [[f"T{i}", i % 7, None] for i in range(1, 400)]
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": rows})
    edits = [CellEdit("Timesheets", 2, "Invoice Number", {r: f"INV-{r}" for r in range(2, 401, 3)}),
             CellEdit("Timesheets", None, "Note", {r: "n" for r in range(5, 401, 50)})]
    held = write_tabs(path.read_bytes(), [], edits)
    monkeypatch.setattr(package, "_BIG", 256)  # every sheet counts as large here: it streams to the deflater
    out = write_tabs(path.read_bytes(), [], edits)
    assert entries(out) == entries(held)  # streamed in pieces, the same part as when held whole
    with zipfile.ZipFile(BytesIO(out)) as z:
        assert z.testzip() is None
    got = python_calamine.load_workbook(BytesIO(out)).get_sheet_by_name("Timesheets").to_python()
    assert [r[2] for r in got[1:5]] == ["INV-2", "", "", "INV-5"] and got[399][0] == "T399"


def test_chunks_deflated_side_by_side_make_one_stream():
    from concurrent.futures import ThreadPoolExecutor
    from xlbilling.io.zipwrite import Deflater, write_zip
    chunks = [bytes(str(list(range(i, i + 3000))), "ascii") for i in range(0, 60000, 3000)]
    with ThreadPoolExecutor(2) as pool:
        deflater = Deflater(pool)
        for chunk in chunks:
            deflater.write(chunk)
        entry = deflater.entry("a.xml", (2026, 1, 1, 0, 0, 0))
        empty = Deflater(pool).entry("b.xml", (2026, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(BytesIO(write_zip([entry, empty]))) as z:
        assert z.read("a.xml") == b"".join(chunks) and z.read("b.xml") == b"" and z.testzip() is None


def test_print_titles_go_into_the_one_defined_names_element_whatever_its_form():
    from xlbilling.io.package import _print_titles
    head = '<workbook><sheets><sheet name="A &amp; B" sheetId="1"/><sheet name="Log" sheetId="2"/></sheets>'
    for names in ("<definedNames/>", "<definedNames></definedNames>", ""):
        xml = _print_titles(f"{head}{names}<calcPr/></workbook>", ["A & B", "Log"])
        assert xml.count("<definedNames>") == 1 and xml.count("</definedNames>") == 1, names
        assert '<definedName name="_xlnm.Print_Titles" localSheetId="0">\'A &amp; B\'!$1:$1</definedName>' in xml
        assert _print_titles(xml, ["A & B", "Log"]) == xml  # kept, not added twice
        ET.fromstring(xml)


@st.composite
def _sheets(draw):
    """Worksheet XML as spreadsheet applications write it: a namespace prefix or none, rows with gaps,
    empty rows written as <row/>, cells before and after the edited column."""
    p = draw(st.sampled_from(["", "x:"]))
    ns = f' xmlns{":x" if p else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rows, r = [], 0
    for _ in range(draw(st.integers(1, 40))):
        r += draw(st.integers(1, 3))
        cells = "".join(draw(st.sampled_from([  # as written by us, by Excel (style first), rich text, blank
            f'<{p}c r="{col}{r}" t="inlineStr"><{p}is><{p}t>v{r}</{p}t></{p}is></{p}c>',
            f'<{p}c s="1" r="{col}{r}"><{p}v>{r}</{p}v></{p}c>',
            f'<{p}c r="{col}{r}" t="inlineStr"><{p}is><{p}r><{p}rPr><{p}color rgb="FF0000"/></{p}rPr>'
            f'<{p}t>v</{p}t></{p}r></{p}is></{p}c>',
            f'<{p}c r="{col}{r}" s="2"/>']))
            for col in sorted(draw(st.sets(st.sampled_from(["A", "B", "C", "E", "Z", "AB"]))), key=lambda c: (len(c), c)))
        rows.append(f'<{p}row r="{r}" spans="1:5">{cells}</{p}row>' if cells or r == 1 or draw(st.booleans())
                    else f'<{p}row r="{r}"/>')
    dimension = draw(st.sampled_from(["", f'<{p}dimension ref="A1"/>', f'<{p}dimension ref="A1:C{r}"/>',
                                      f'<{p}dimension ref="B2:AB{r + 9}"/>']))
    xml = (f'<?xml version="1.0"?><{p}worksheet{ns}>{dimension}<{p}sheetData>{"".join(rows)}</{p}sheetData>'
           f'<{p}pageMargins left="0.7"/></{p}worksheet>').encode()
    column = draw(st.sampled_from([None, 0, 2, 3, 5, 26, 27, 30]))
    values = {row: f"INV-{row}" for row in draw(st.sets(st.integers(2, r + 6), max_size=15))}
    return xml, CellEdit("Timesheets", column, "Invoice Number", values)


@settings(max_examples=200, deadline=None)
@given(_sheets(), st.integers(1, 400))
def test_a_sheet_edited_a_window_at_a_time_is_the_sheet_edited_whole(sheet, window):
    """Post writes invoice numbers into a Timesheets part too large to hold: inflated, edited and deflated
    a window at a time, it must come out byte for byte as the whole part edited at once."""
    from xlbilling.io.package import _edit_cells, _edit_streamed
    xml, edit = sheet
    whole = b"".join(_edit_cells(xml, edit))
    assert b"".join(_edit_streamed(BytesIO(xml).read, edit, window)) == whole
    assert whole.count(b"INV-") == len(edit.values)


@settings(max_examples=300, deadline=None)
@given(_sheets())
def test_the_quick_way_of_setting_a_cell_gives_what_the_general_way_does(sheet):
    """An invoice number going after the last cell of its row is set without reading the row's cells;
    wherever that applies or not (cells after the column, a blank cell there, style written first,
    rich text), the sheet comes out byte for byte as the general way writes it."""
    from xlbilling.io.package import _edit_cells
    xml, edit = sheet
    assert b"".join(_edit_cells(xml, edit)) == b"".join(_edit_cells(xml, edit, quick=False))


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
       st.lists(st.integers(1, 700), min_size=1, max_size=20))
def test_a_part_read_a_piece_at_a_time_is_what_zipfile_reads(data, method, sizes):
    """Package.stream (ISA-L's inflate) gives a part's bytes as zipfile does, whatever pieces are asked for."""
    from xlbilling.io.zipwrite import Inflating
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr("xl/worksheets/sheet1.xml", data * 7)
    archive = buf.getvalue()
    info = zipfile.ZipFile(BytesIO(archive)).getinfo("xl/worksheets/sheet1.xml")
    got, reader = [], Inflating(archive, info)
    for n in sizes * 40:
        if not (piece := reader.read(n)):
            break
        assert len(piece) <= n
        got.append(piece)
    got.append(reader.read())
    assert b"".join(got) == data * 7 and reader.read(10) == b""


def test_a_damaged_part_is_a_bad_zip_file_not_a_wrong_read():
    from xlbilling.io.zipwrite import Inflating
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", b"<row/>" * 5000)
    archive = buf.getvalue()
    info = zipfile.ZipFile(BytesIO(archive)).getinfo("a.xml")
    start = 30 + len("a.xml")
    flipped = bytearray(archive)
    flipped[start + 3] ^= 0xFF  # the deflate stream itself
    with pytest.raises(zipfile.BadZipFile):
        Inflating(bytes(flipped), info).read()
    cut = zipfile.ZipFile(BytesIO(archive)).getinfo("a.xml")
    cut.compress_size //= 2  # the stream ends early
    with pytest.raises(zipfile.BadZipFile):
        Inflating(archive, cut).read()
    wrong_crc = info
    wrong_crc.CRC ^= 1
    with pytest.raises(zipfile.BadZipFile, match="checksum"):
        Inflating(archive, wrong_crc).read()
