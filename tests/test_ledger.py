"""The posted ledger (issue 13): posted invoices kept in very hidden sheets, chained by hashes; the
visible InvoiceRegister is a view of it, so a deleted, added or edited posted row is reported and
written back, and no number is issued twice."""

from __future__ import annotations

import json
import zipfile

import openpyxl

from xlbilling.cli import main

from .test_month import month_book, sheet


def posted_twice(tmp_path):
    path = month_book(tmp_path)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    return path


def changed(path, capsys) -> list[dict]:
    capsys.readouterr()
    main(["validate", str(path), "--json"])
    return [w for w in json.loads(capsys.readouterr().out)["warnings"] if w["code"] == "POSTED_INVOICE_CHANGED"]


def test_the_ledger_is_very_hidden_and_holds_every_posted_invoice(tmp_path, capsys):
    path = posted_twice(tmp_path)
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert 'name="xlbPostedInvoices"' in workbook and workbook.count('state="veryHidden"') == 2
    wb = openpyxl.load_workbook(path)
    assert wb["xlbPostedInvoices"].sheet_state == "veryHidden"
    assert [r[0] for r in wb["xlbPostedInvoices"].iter_rows(min_row=2, values_only=True)] == ["INV-1001", "INV-1002"]
    assert changed(path, capsys) == []


def test_a_deleted_posted_row_is_reported_written_back_and_its_number_never_issued_again(tmp_path, capsys):
    path = posted_twice(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["InvoiceRegister"].delete_rows(3)  # INV-1002's row
    wb.save(path)
    [f] = changed(path, capsys)
    assert "INV-1002 was deleted" in f["message"] and f["where"] == "InvoiceRegister"
    assert main(["close", str(path), "--date", "2026-12-01"]) == 0
    assert [r["Invoice Number"] for r in sheet(path, "InvoiceRegister") if r["Invoice Number"]] == ["INV-1001", "INV-1002"]
    assert main(["post", str(path), "--date", "2026-12-01"]) == 0
    numbers = [r["Invoice Number"] for r in sheet(path, "InvoiceRegister")]
    assert numbers == ["INV-1001", "INV-1002", "INV-1003", "INV-1004"] and changed(path, capsys) == []


def test_a_row_added_by_hand_or_an_edited_total_is_reported_and_the_posted_figures_stay(tmp_path, capsys):
    path = posted_twice(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["InvoiceRegister"]
    ws.append([c.value for c in ws[2]])  # INV-1001 copied below
    ws.cell(ws.max_row, 1).value = "INV-1009"
    total = [c.value for c in ws[1]].index("Total") + 1
    ws.cell(2, total).value = 1.00  # INV-1001's total typed over
    wb.save(path)
    found = {f["where"]: f["message"] for f in changed(path, capsys)}
    assert any("INV-1009, which was never posted" in m for m in found.values())
    assert any("INV-1001 was edited by hand" in m for m in found.values())
    assert main(["refresh", str(path), "--as-of", "2026-11-30"]) == 0
    register = sheet(path, "InvoiceRegister")
    assert [r["Invoice Number"] for r in register] == ["INV-1001", "INV-1002"] and register[0]["Total"] == 2451.73
    assert changed(path, capsys) == []


def test_an_edit_of_the_ledger_itself_breaks_its_chain(tmp_path, capsys):
    path = posted_twice(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["xlbPostedInvoices"]
    customer = [c.value for c in ws[1]].index("Customer ID") + 1
    ws.cell(2, customer).value = "1002"  # moved to another customer, fingerprint and all left as they were
    wb.save(path)
    [f] = changed(path, capsys)
    assert f["where"] == "xlbPostedInvoices" and "protected ledger entry of posted invoice INV-1001" in f["message"]


def test_a_book_posted_before_the_ledger_takes_its_invoices_into_the_ledger(tmp_path, capsys):
    path = posted_twice(tmp_path)
    wb = openpyxl.load_workbook(path)
    del wb["xlbPostedInvoices"], wb["xlbPostedLines"]
    wb.save(path)
    assert changed(path, capsys) == []
    assert main(["refresh", str(path), "--as-of", "2026-11-30"]) == 0
    assert openpyxl.load_workbook(path)["xlbPostedInvoices"].max_row == 3
    assert changed(path, capsys) == []


def test_documents_show_the_invoice_as_posted_whatever_the_view_says(tmp_path):
    import pypdf
    path = posted_twice(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["InvoiceRegister"]
    ws.cell(2, [c.value for c in ws[1]].index("Total") + 1).value = 1.00
    ws.delete_rows(3)  # and INV-1002 deleted
    wb.save(path)
    assert main(["invoices", str(path), "--out", str(tmp_path / "pdf")]) == 0
    names = sorted(p.name for p in (tmp_path / "pdf").glob("*.pdf"))
    assert [n[:8] for n in names] == ["INV-1001", "INV-1002"]
    text = pypdf.PdfReader(tmp_path / "pdf" / names[0]).pages[0].extract_text()
    assert "2,451.73" in text
