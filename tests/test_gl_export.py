"""GL exports: each layout's documented columns, dates, lengths, balance, and no formula when opened in Excel."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from xlbilling.core.journal import Entry
from xlbilling.io.gl_export import LAYOUTS, ExportContext, export_csv

ENTRIES = [
    Entry("INV-1001", date(2026, 11, 1), "1200", D("108.00"), D(0), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("INV-1001", date(2026, 11, 1), "2200", D(0), D("8.00"), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("INV-1001", date(2026, 11, 1), "4000", D(0), D("100.00"), "C1", "INV-1001", "Invoice INV-1001"),
    Entry("CM-1", date(2026, 11, 5), "4000", D("50.00"), D(0), "C1", "INV-1001", "Credit memo CM-1: outage"),
    Entry("CM-1", date(2026, 11, 5), "1200", D(0), D("50.00"), "C1", "INV-1001", "Credit memo CM-1: outage"),
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


CONTEXT = ExportContext("1200", ("INV-", "CM-"), {"C1": "Acme Dental"}, {}, "GENJNL", "MONTHLY", "XLB20261130", 5001)


def rows(layout, entries=ENTRIES, ctx=CONTEXT):
    text, errors = export_csv(entries, layout, ctx)
    assert errors == []
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_columns_are_the_documented_layout(layout):
    text, _ = export_csv(ENTRIES, layout, CONTEXT)
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
    assert rows("bc")[0]["Posting Date"] == "2026-11-01" and rows("gp")[0]["Transaction Date"] == "11/01/2026"
    # Business Central: ISO unless the user sets the format the company's import expects
    us = ExportContext(**{**CONTEXT.__dict__, "bc_date_format": "MM/DD/YYYY"})
    assert rows("bc", ctx=us)[0]["Posting Date"] == "11/01/2026"


def test_business_central_document_types_line_numbers_and_customer_lines():
    got = rows("bc")
    assert [r["Document Type"] for r in got] == ["Invoice"] * 3 + ["Credit Memo"] * 2 + ["Payment"] * 2
    assert [r["Line No."] for r in got][:3] == ["10000", "20000", "30000"]
    # A/R posts to the customer (customer ledger entries), never to the receivables control account
    assert {(r["Account Type"], r["Account No."]) for r in got if r["Account No."] in ("C1", "1200")} == {
        ("Customer", "C1")}
    assert {r["Account Type"] for r in got if r["Account No."] != "C1"} == {"G/L Account"}
    # the company's template and batch (Code[10]), Document No. and Account No. Code[20], Description Text[100]
    assert {(r["Journal Template Name"], r["Journal Batch Name"]) for r in got} == {("GENJNL", "MONTHLY")}
    assert all(len(r["Document No."]) <= 20 and len(r["Account No."]) <= 20 and len(r["Description"]) <= 100
               for r in got)


def test_gp_lengths_numbers_from_the_setting_and_both_amounts_present():
    got = rows("gp")
    assert all(len(r["Distribution Reference"]) <= 30 and len(r["Batch ID"]) <= 15 for r in got)
    assert [r["Journal Entry"] for r in got] == ["5001", "5001", "5001", "5002", "5002", "5003", "5003"]
    assert all(r["Debit"] and r["Credit"] for r in got) and got[0]["Credit"] == "0.00"
    left_blank = rows("gp", ctx=ExportContext(**{**CONTEXT.__dict__, "gp_first_journal_entry": None}))
    assert {r["Journal Entry"] for r in left_blank} == {""}  # for GP to assign


def test_qbo_names_the_customer_on_every_receivable_line_only():
    got = rows("qbo")
    assert {r["Name"] for r in got if r["Account Name"] == "1200"} == {"Acme Dental"}
    assert {r["Name"] for r in got if r["Account Name"] != "1200"} == {""}


def test_nothing_is_prefixed_and_a_value_that_would_be_a_formula_or_too_long_is_an_error_at_its_cell():
    assert not [v for layout in LAYOUTS for r in rows(layout) for v in r.values() if v.startswith("'")]
    hostile = [Entry("INV-1001", date(2026, 11, 1), "=1+2", D("1.00"), D(0), "C1", "INV-1001", "Invoice INV-1001"),
               Entry("INV-1001", date(2026, 11, 1), "4000", D(0), D("1.00"), "C1", "INV-1001", "Invoice INV-1001")]
    ctx = ExportContext(**{**CONTEXT.__dict__, "cells": {("account", "=1+2"): "Settings!B9",
                                                         ("customer", "C1"): "Customers!A2"}})
    _, errors = export_csv(hostile, "qbo", ctx)
    assert [(e.where, "formula" in e.message) for e in errors] == [("Settings!B9", True)]
    long_customer = [e._replace(customer_id="C" * 21, account="1200") for e in ENTRIES[:1]]
    ctx = ExportContext(**{**CONTEXT.__dict__, "cells": {("customer", "C" * 21): "Customers!A7"}})
    _, errors = export_csv(long_customer, "bc", ctx)
    assert [(e.where, "over the 20" in e.message) for e in errors] == [("Customers!A7", True)]


def posted_april(tmp_path):
    """The post tests' book, closed and posted for April 2026."""
    from xlbilling.jobs import close_workbook, post_workbook

    from .test_post import book
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    return path


def test_export_gl_command_filters_by_date(tmp_path, capsys):
    from xlbilling.cli import main
    path = posted_april(tmp_path)
    out = tmp_path / "april.csv"
    assert main(["export-gl", str(path), "--from", "2026-04-01", "--to", "2026-04-30", "--format", "qbo",
                 "--out", str(out)]) == 0
    got = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["Journal No"] for r in got} == {"NS-500", "NS-501"}
    assert sum(D(r["Debits"] or 0) for r in got) == sum(D(r["Credits"] or 0) for r in got) > 0
    assert main(["export-gl", str(path), "--from", "2026-05-01", "--to", "2026-04-30"]) == 2


def test_export_to_business_central_needs_the_companys_template_and_batch(tmp_path, capsys):
    from xlbilling.cli import main
    path = posted_april(tmp_path)
    out = tmp_path / "bc.csv"
    assert main(["export-gl", str(path), "--from", "2026-04-01", "--to", "2026-04-30", "--format", "bc",
                 "--out", str(out)]) == 1
    assert "bc_journal_template is blank" in capsys.readouterr().out and not out.exists()


def test_the_glaccounts_sheet_gives_each_system_its_names_and_numbers(tmp_path, capsys):
    from xlbilling.cli import main
    from xlbilling.jobs import close_workbook, post_workbook

    from .books import write_book
    from .test_post import CHARGES, LINES, TAXES, TIME
    chart = [["Account", "Name", "Type", "BC Number", "GP Account"],
             ["1200", "Accounts Receivable (A/R)", "receivable", "13100", "000-1200-00"],
             ["2200", "Sales Tax Payable", "liability", "22100", "000-2200-00"],
             ["2400", "Deferred Revenue", "liability", "24100", "000-2400-00"],
             ["4000", "Services:Managed", "income", "40100", "000-4000-00"]]
    settings = [["Setting", "Value"], ["bc_journal_template", "GENJNL"], ["bc_journal_batch", "MONTHLY"],
                ["gp_first_journal_entry", 7001]]
    path = write_book(tmp_path / "b.xlsx", {"ContractLines": LINES, "Timesheets": TIME, "Charges": CHARGES,
                                            "RateCard": [["Work Type", "Rate"], ["Remote", 150]], "Settings": settings,
                                            "TaxRates": TAXES, "GLAccounts": chart})
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    got = {}
    for layout in ("qbo", "bc", "gp"):
        out = tmp_path / f"{layout}.csv"
        assert main(["export-gl", str(path), "--from", "2026-04-01", "--to", "2026-04-30", "--format", layout,
                     "--out", str(out)]) == 0, capsys.readouterr().out
        got[layout] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["Account Name"] for r in got["qbo"]} == {"Accounts Receivable (A/R)", "Sales Tax Payable",
                                                       "Services:Managed"}
    assert {r["Account No."] for r in got["bc"] if r["Account Type"] == "G/L Account"} == {"22100", "40100"}
    assert {r["Account"] for r in got["gp"]} == {"000-1200-00", "000-2200-00", "000-4000-00"}
    assert {r["Journal Entry"] for r in got["gp"]} == {"7001", "7002"}
    # an account the journal needs and the sheet lacks: an error at the cell that names it
    wb = __import__("openpyxl").load_workbook(path)
    wb["Settings"].append(["gl_revenue", "4999"])
    wb.save(path)
    capsys.readouterr()
    assert main(["export-gl", str(path), "--from", "2026-04-01", "--to", "2026-04-30", "--format", "qbo",
                 "--out", str(tmp_path / "x.csv")]) == 1
    out = capsys.readouterr().out
    assert "account 4999 is not on the GLAccounts sheet" in out and "Settings!B5" in out, out


def test_business_central_line_numbers_fit_its_integer_however_long_the_file():
    from xlbilling.io.gl_export import bc_line_no
    for rows in (3, 214_748, 300_000, 1_000_000):
        numbers = [bc_line_no(n, rows) for n in (0, 1, rows - 1)]
        assert numbers == sorted(set(numbers)) and numbers[-1] <= 2**31 - 1
    assert [bc_line_no(n, 3) for n in range(3)] == [10000, 20000, 30000]  # as Business Central's pages number
