"""A rich .xlsm that carries everything the writer must leave alone, built for the round-trip tests."""

from __future__ import annotations

import struct
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import xlsxwriter
import xlwings

CUSTOM_UI = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
             b'<tab id="tabBilling" label="Billing"><group id="grpMonth" label="Month">'
             b'<button id="btnValidate" label="Validate" onAction="Validate" size="large" imageMso="AcceptInvitation"/>'
             b'</group></tab></tabs></ribbon></customUI>')
UI_REL = (b'<Relationship Id="rIdCustomUI" Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
          b'Target="customUI/customUI14.xml"/>')
X14_VALIDATION = (
    b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    b'<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>D2:D10</xm:sqref>'
    b'</x14:dataValidation></x14:dataValidations></ext></extLst>')


def vba_project_bin() -> bytes:
    """The VBA project of xlwings' own quickstart workbook: a real one, read from the installed package."""
    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as z:
        return z.read("xl/vbaProject.bin")


def tiny_png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def build_rich_xlsm(path: Path) -> Path:
    vba = path.with_name("vbaProject.bin")
    vba.write_bytes(vba_project_bin())
    png = path.with_name("logo.png")
    png.write_bytes(tiny_png())
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(str(vba))
    ws = wb.add_worksheet("Forecast")
    ws.set_vba_name("Sheet1")
    money = wb.add_format({"num_format": "#,##0.00", "bold": True})
    ws.write_row(0, 0, ["Month", "Amount", "Tax", "Region"])
    for r, (m, a) in enumerate([("Aug", 1200), ("Sep", 1350.5), ("Oct", 990)], start=1):
        ws.write_string(r, 0, m)
        ws.write_number(r, 1, a, money)
        ws.write_formula(r, 2, f"=B{r + 1}*TaxRate", money, round(a * 0.0825, 4))
    ws.write_formula(4, 1, "=SUM(B2:B4)", money, 3540.5)
    ws.write_comment(0, 1, "Amounts before tax")
    ws.insert_button("F2", {"macro": "Validate", "caption": "Validate", "width": 100, "height": 30})
    ws.insert_image("F6", str(png))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=Forecast!$A$2:$A$4", "values": "=Forecast!$B$2:$B$4", "name": "Amount"})
    ws.insert_chart("H2", chart)
    lists = wb.add_worksheet("Lists")
    lists.set_vba_name("Sheet2")
    lists.write_column(0, 0, ["North", "South", "West"])
    wb.define_name("TaxRate", "=0.0825")
    wb.define_name("Regions", "=Lists!$A$1:$A$3")
    wb.close()
    with zipfile.ZipFile(BytesIO(out.getvalue())) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", UI_REL + b"</Relationships>")
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", X14_VALIDATION + b"</worksheet>")
            z.writestr(info, data)
        z.writestr("customUI/customUI14.xml", CUSTOM_UI)
    return path
