"""The month as billing staff live it (issue 12, spec v2): discounts taken, money findings on every
run, holds that hold, read-only commands and a terminal that says what happens — on real workbooks."""

from __future__ import annotations

import json
from datetime import date

import pypdf
import python_calamine

from xlbilling.cli import main

from .books import write_book

CUSTOMERS = [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction", "Payment Terms"],
             ["1001", "Acme Dental", "ap@acme.example.com", "TX", "2/10 NET 30"],
             ["1002", "Birch Law", "ap@birch.example.com", "TX", "NET30"]]
CONTRACTS = [["Contract ID", "Customer ID", "Start Date"], ["AGR-1", "1001", "2026-11-01"],
             ["AGR-2", "1002", "2026-11-01"]]
LINES = [["Line ID", "Contract ID", "Description", "Quantity", "Unit Price"],
         ["L1", "AGR-1", "Managed services", 1, 2451.73], ["L2", "AGR-2", "Backup", 1, 500]]
TAXES = [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]
PAYMENTS = ["Payment ID", "Date", "Customer ID", "Amount", "Invoice Number"]


def month_book(tmp_path, payments=(), **sheets):
    base = {"Customers": CUSTOMERS, "Contracts": CONTRACTS, "ContractLines": LINES, "TaxRates": TAXES,
            "Settings": [["Setting", "Value"], ["company_name", "Northstar IT"],
                         ["company_email", "billing@northstar.example"]]}
    if payments:
        base["Payments"] = [PAYMENTS, *payments]
    base.update(sheets)
    return write_book(tmp_path / "Book.xlsx", base, base=False)


def sheet(path, name):
    rows = python_calamine.load_workbook(path).get_sheet_by_name(name).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def posted_month(tmp_path, payments=(), **sheets):
    path = month_book(tmp_path, payments, **sheets)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    return path


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


# --- Early-payment discount taken (spec section 3) -------------------------------------------------

def test_paying_the_total_less_the_discount_within_the_window_settles_the_invoice(tmp_path, capsys):
    path = posted_month(tmp_path, [["P1", "2026-11-10", "1001", 2402.70, None]])
    assert main(["refresh", str(path), "--as-of", "2026-12-20"]) == 0
    [inv] = [r for r in sheet(path, "InvoiceRegister") if r["Customer ID"] == "1001"]
    assert (inv["Total"], inv["Paid"], inv["Discount"], inv["Balance"], inv["Status"]) == (
        2451.73, 2402.70, 49.03, 0.0, "paid")
    journal = [r for r in sheet(path, "GLJournal") if r["Journal ID"] == f"DISC-{inv['Invoice Number']}"]
    assert {(r["Account"], r["Debit"] or 0, r["Credit"] or 0) for r in journal} == {("4900", 49.03, 0), ("1200", 0, 49.03)}
    assert [r["Customer ID"] for r in sheet(path, "ARAging")] == ["1002"]  # nothing open for 1001
    assert "1001" not in [r["Customer ID"] for r in sheet(path, "Collections")]
    [kpi] = [r for r in sheet(path, "KPIs") if r["Month"] == "2026-11"]
    assert kpi["Discounts Taken"] == 49.03
    out = tmp_path / "pdf"
    assert main(["invoices", str(path), "--out", str(out), "--as-of", "2026-12-20"]) == 0
    [pdf] = out.glob(f"{inv['Invoice Number']}*.pdf")
    text = pdf_text(pdf)
    assert "Early-payment discount taken" in text and "-49.03" in text and "deduct" not in text
    assert "PAST DUE" not in text and "Paid in full" in text
    capsys.readouterr()
    assert main(["send", str(path), "--dry-run", "--reminders", "--as-of", "2026-12-20", "--json",
                 "--outbox", str(tmp_path / "out")]) == 0
    names = [p.name for p in (tmp_path / "out").glob("*.eml")]
    assert not [n for n in names if inv["Invoice Number"] in n and "Reminder" in n]


def test_a_day_late_the_discount_is_not_taken(tmp_path):
    path = posted_month(tmp_path, [["P1", "2026-11-12", "1001", 2402.70, None]])
    assert main(["refresh", str(path), "--as-of", "2026-12-20"]) == 0
    [inv] = [r for r in sheet(path, "InvoiceRegister") if r["Customer ID"] == "1001"]
    assert (inv["Discount"], inv["Balance"], inv["Status"]) == (0.0, 49.03, "partially_paid")
    assert not [r for r in sheet(path, "GLJournal") if r["Journal ID"].startswith("DISC-")]
