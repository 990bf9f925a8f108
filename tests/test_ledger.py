"""The posted ledger (issue 13): posted invoices kept in very hidden sheets, chained by hashes; the
visible InvoiceRegister is a view of it, so a deleted, added or edited posted row is reported and
written back, and no number is issued twice."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from decimal import Decimal as D

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.cli import main
from xlbilling.core.models import InvoiceLineRow, RegisterRow, record

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
    lines = wb["InvoiceLines"]
    heads = [c.value for c in lines[1]]
    [row] = [r for r in lines.iter_rows(min_row=2) if r[heads.index("Invoice Number")].value == "INV-1002"][:1]
    row[heads.index("Amount")].value = 0.01  # and a line of INV-1002
    wb.save(path)
    found = {f["where"]: f["message"] for f in changed(path, capsys)}
    assert any("INV-1009, which was never posted" in m for m in found.values())
    assert any("INV-1001 was edited by hand" in m for m in found.values())
    assert any("INV-1002 was edited by hand in InvoiceRegister or InvoiceLines" in m for m in found.values())
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


def _reference_fingerprint(header, lines) -> str:
    """The fingerprint's text spelled out plainly: books posted earlier hold digests of exactly this."""
    import hashlib
    from decimal import Decimal

    def canon(v) -> str:
        if v is None:
            return "None"
        return format(v.normalize(), "f") if isinstance(v, Decimal) else str(v)

    text = [canon(v) for v in (header.invoice_number, header.customer_id, header.invoice_date, header.due_date,
                                header.subtotal, header.tax, header.total)]
    for ln in sorted(lines, key=lambda ln: ln.line_no):
        text.append("|".join([str(ln.line_no), ln.source_type or "", ln.source_id or "",
                              str(ln.service_start) if ln.service_start else "",
                              str(ln.service_end) if ln.service_end else "",
                              *(canon(v) for v in (ln.quantity, ln.unit_price, ln.amount, ln.tax_rate))]))
    return hashlib.sha256("|".join(text).encode()).hexdigest()[:16]


FIGURE = st.one_of(st.none(), st.sampled_from([D("0"), D("-0"), D("0.00"), D("-0.00"), D("1.0"), D("1.00")]),
                   st.decimals(min_value=D("-500"), max_value=D("500"), places=2, allow_nan=False),
                   st.decimals(min_value=D("0"), max_value=D("2"), places=4, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(FIGURE, FIGURE, FIGURE, FIGURE, st.sampled_from(["recurring", "time", None]),
                          st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 1, 1)))),
                min_size=1, max_size=12))
def test_a_fingerprint_is_the_digest_of_its_figures_written_out_as_they_always_were(specs):
    """However its figures repeat (the same quantity, price and amount on many lines, 0 beside -0,
    1.0 beside 1.00), an invoice's fingerprint is the digest of the text it always was."""
    from xlbilling.core.ledger import fingerprint
    header = record(RegisterRow, invoice_number="INV-7", customer_id="C1", invoice_date=date(2026, 11, 1),
                    due_date=date(2026, 12, 1), subtotal=D("10.00"), tax=D("0.00"), total=D("10.00"), row=0)
    lines = [record(InvoiceLineRow, invoice_number="INV-7", line_no=n, source_type=kind, source_id=f"L{n}",
                    service_start=day, service_end=day, quantity=q, unit_price=p, amount=a, tax_rate=r, row=0)
             for n, (q, p, a, r, kind, day) in enumerate(specs, start=1)]
    assert fingerprint(header, lines) == _reference_fingerprint(header, lines)
    assert fingerprint(header, lines) == fingerprint(header, lines[::-1])  # line order as numbered, not as given


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(FIGURE, FIGURE, st.sampled_from(["recurring", "time", None]),
                          st.one_of(st.none(), st.text(max_size=3))), min_size=1, max_size=8), st.data())
def test_the_drafts_digest_is_one_for_lines_equal_field_by_field_and_another_for_any_change(specs, data):
    """What post checks a sealed InvoiceLines by: lines equal field by field (1.0 beside 1.00, 0 beside -0;
    their invoice number and row aside) give one digest; a field changed, or a line moved or dropped,
    gives another."""
    from xlbilling.core.register import draft_lines_digest as digest
    lines = [record(InvoiceLineRow, draft_id="D-1", line_no=n, source_type=kind, source_id=f"L{n}", description=text,
                    quantity=q, amount=a, row=n + 1) for n, (q, a, kind, text) in enumerate(specs, start=1)]

    def respelled(v):
        return v + D("0.000") if isinstance(v, D) else v

    same = [ln._replace(invoice_number="INV-1", row=0, quantity=respelled(ln.quantity), amount=respelled(ln.amount))
            for ln in lines]
    assert digest(same) == digest(lines)
    k = data.draw(st.integers(0, len(lines) - 1))
    was = lines[k]
    change = data.draw(st.sampled_from([
        {"description": (was.description or "") + "x"}, {"quantity": (was.quantity or D(0)) + 1},
        {"source_type": "charge"}, {"line_no": was.line_no + 100}, {"entry_ids": "T9"}]))
    assert digest([*lines[:k], was._replace(**change), *lines[k + 1:]]) != digest(lines)
    assert digest(lines[:k] + lines[k + 1:]) != digest(lines)
    if len(lines) > 1:
        assert digest([lines[-1], *lines[:-1]]) != digest(lines)  # line numbers differ: never equal moved
