"""GL exports: each layout's documented columns, dates, lengths, balance, and no formula when opened in Excel."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from xlbilling.core.journal import Entry
from xlbilling.io.gl_export import LAYOUTS, export_csv

ENTRIES = [
    Entry("INV-1001", date(2026, 11, 1), "1200", D("108.00"), D(0), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("INV-1001", date(2026, 11, 1), "2200", D(0), D("8.00"), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("INV-1001", date(2026, 11, 1), "4000", D(0), D("100.00"), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("CM-1", date(2026, 11, 5), "4000", D("50.00"), D(0), "C1", "INV-1001", "=HYPERLINK(\"x\") credit"),
    Entry("CM-1", date(2026, 11, 5), "1200", D(0), D("50.00"), "C1", "INV-1001", "=HYPERLINK(\"x\") credit"),
    Entry("PAY-P1", date(2026, 11, 9), "1000", D("58.00"), D(0), "C1", "INV-1001", "Payment P1 " + "x" * 40),
    Entry("PAY-P1", date(2026, 11, 9), "1200", D(0), D("58.00"), "C1", "INV-1001", "Payment P1 " + "x" * 40),
]
DOCUMENTED = {
    # QuickBooks Online, Import data > Journal entries
    "qbo": ["Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name"],
    # Business Central, Gen. Journal Line fields
    "bc": ["Journal Template Name", "Journal Batch Name", "Line No.", "Posting Date", "Document Type", "Document No.",
           "Account Type", "Account No.", "Description", "Debit Amount", "Credit Amount"],
    # Dynamics GP Integration Manager, General Journal: header fields then distribution fields
    "gp": ["Batch ID", "Journal Entry", "Transaction Date", "Reference", "Account", "Debit", "Credit",
           "Distribution Reference"],
    "generic": ["Journal ID", "Date", "Account", "Debit", "Credit", "Customer ID", "Invoice Number", "Memo"],
}


def rows(layout):
    text = export_csv(ENTRIES, layout, {"C1": "Acme Dental"}, ("INV-", "CM-"), "XLB20261130")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_columns_are_the_documented_layout(layout):
    text = export_csv(ENTRIES, layout, {}, ("INV-", "CM-"), "B")
    assert next(csv.reader(io.StringIO(text))) == DOCUMENTED[layout]


@pytest.mark.parametrize("layout,debit,credit,group", [("qbo", "Debits", "Credits", "Journal No"),
                                                       ("bc", "Debit Amount", "Credit Amount", "Document No."),
                                                       ("gp", "Debit", "Credit", "Journal Entry"),
                                                       ("generic", "Debit", "Credit", "Journal ID")])
def test_every_exported_journal_balances(layout, debit, credit, group):
    totals = {}
    for r in rows(layout):
        totals[r[group]] = totals.get(r[group], D(0)) + D(r[debit] or 0) - D(r[credit] or 0)
    assert len(totals) == 3 and set(totals.values()) == {D(0)}


def test_dates_in_each_layout():
    assert rows("qbo")[0]["Journal Date"] == "11/01/2026" and rows("generic")[0]["Date"] == "2026-11-01"
    assert rows("bc")[0]["Posting Date"] == "11/01/2026" and rows("gp")[0]["Transaction Date"] == "11/01/2026"


def test_business_central_document_types_and_line_numbers():
    got = rows("bc")
    assert [r["Document Type"] for r in got] == ["Invoice"] * 3 + ["Credit Memo"] * 2 + ["Payment"] * 2
    assert [r["Line No."] for r in got][:3] == ["10000", "20000", "30000"]
    assert {r["Account Type"] for r in got} == {"G/L Account"}


def test_gp_field_lengths_and_journal_entry_numbers():
    got = rows("gp")
    assert all(len(r["Distribution Reference"]) <= 30 and len(r["Batch ID"]) <= 15 for r in got)
    assert [r["Journal Entry"] for r in got] == ["1", "1", "1", "2", "2", "3", "3"]


def test_qbo_names_the_customer():
    assert {r["Name"] for r in rows("qbo")} == {"Acme Dental"}


def test_text_that_excel_would_take_for_a_formula_is_prefixed():
    assert rows("qbo")[3]["Description"] == "'=HYPERLINK(\"x\") credit"
    assert rows("generic")[3]["Memo"].startswith("'=")


def test_export_gl_command_filters_by_date(tmp_path, capsys):
    from xlbilling.cli import main
    from xlbilling.jobs import close_workbook, post_workbook

    from .test_post import book
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    out = tmp_path / "april.csv"
    assert main(["export-gl", str(path), "--from", "2026-04-01", "--to", "2026-04-30", "--format", "qbo",
                 "--out", str(out)]) == 0
    got = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["Journal No"] for r in got} == {"NS-500", "NS-501"}
    assert sum(D(r["Debits"] or 0) for r in got) == sum(D(r["Credits"] or 0) for r in got) > 0
    assert main(["export-gl", str(path), "--from", "2026-05-01", "--to", "2026-04-30"]) == 2
