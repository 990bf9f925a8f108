"""The month as billing staff live it (issue 12, spec v2): discounts taken, money findings on every
run, holds that hold, read-only commands and a terminal that says what happens — on real workbooks."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pypdf
import python_calamine

from xlbilling.cli import main

from .books import write_book
from .test_send import smtp  # noqa: F401 - the real SMTP server on loopback, as a fixture

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


# --- Money findings on every run that writes (spec section 4) --------------------------------------

def test_a_payment_from_an_unknown_customer_counts_nowhere_and_refresh_flags_it(tmp_path, capsys):
    from .test_discrepancies_tab import resolve
    entries = [["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"],
               ["T1", "2026-10-20", "Ann", "1002", "AGR-2", "Remote", 1, "N"]]  # a close finding to keep
    path = posted_month(tmp_path, [["P1", "2026-11-05", "C999", 50, None]], Timesheets=entries,
                        RateCard=[["Work Type", "Rate"], ["Remote", 100]])
    ident = resolve(path, "TIME_UNAPPROVED", "exclude")
    capsys.readouterr()
    assert main(["refresh", str(path), "--as-of", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    aging = sheet(path, "ARAging")
    total = sum(r["Total"] for r in aging)
    assert total == 2951.73 and all(r["Unapplied"] == 0 for r in aging)
    assert "2,951.73 open" in out and "unapplied credit 0.00" in out and "PAYMENT_UNMATCHED" in out
    found = {r["Code"]: r for r in sheet(path, "Discrepancies")}
    assert found["PAYMENT_UNMATCHED"]["Cell"] == "Payments!C2" and found["PAYMENT_UNMATCHED"]["Amount"] == 50
    assert found["PAYMENT_UNMATCHED"]["Status"] == "open"
    kept = found["TIME_UNAPPROVED"]  # the last close's finding and its resolution stay as they were
    assert (kept["Discrepancy ID"], kept["Status"], kept["Resolution"]) == (ident, "open", "exclude")
    assert not [r for r in sheet(path, "GLJournal") if r["Journal ID"] == "PAY-P1"]


def test_post_and_refresh_work_out_payment_short_against_the_ledger_as_it_is(tmp_path):
    path = month_book(tmp_path, [["P1", "2026-11-20", "1002", 400, "INV-1002"]])
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    codes = {r["Code"]: r for r in sheet(path, "Discrepancies")}
    assert "INV-1002" in codes["PAYMENT_UNMATCHED"]["Message"]  # not posted yet
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    codes = {r["Code"]: r for r in sheet(path, "Discrepancies")}
    assert codes["PAYMENT_UNMATCHED"]["Status"] == "resolved"  # INV-1002 is posted now
    assert codes["PAYMENT_SHORT"]["Status"] == "open" and codes["PAYMENT_SHORT"]["Amount"] == 100
    assert main(["refresh", str(path), "--as-of", "2026-11-30"]) == 0
    assert {r["Code"]: r["Status"] for r in sheet(path, "Discrepancies")}["PAYMENT_SHORT"] == "open"


def test_a_discount_taken_is_not_a_short_payment(tmp_path):
    path = posted_month(tmp_path, [["P1", "2026-11-10", "1001", 2402.70, "INV-1001"]])
    assert main(["refresh", str(path), "--as-of", "2026-11-30"]) == 0
    assert "PAYMENT_SHORT" not in {r["Code"] for r in sheet(path, "Discrepancies")}


def test_reminders_and_past_due_invoices_quote_the_open_balance(tmp_path, smtp):
    import email
    from email import policy
    path = posted_month(tmp_path, [["P1", "2026-11-15", "1002", 200, None]])
    assert main(["send", str(path), "--as-of", "2026-11-01"]) == 0 and len(smtp.messages) == 2
    outbox = tmp_path / "out"
    assert main(["send", str(path), "--dry-run", "--reminders", "--as-of", "2026-12-20", "--outbox", str(outbox)]) == 0
    [reminder] = [p for p in outbox.glob("*Reminder*.eml") if "INV-1002" in p.name]
    body = email.message_from_bytes(reminder.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "300.00 USD" in body and "500.00" not in body
    pdfs = tmp_path / "pdf"
    assert main(["invoices", str(path), "--out", str(pdfs), "--as-of", "2026-12-20"]) == 0
    late = pdf_text(next(pdfs.glob("INV-1002*.pdf")))
    assert "PAST DUE" in late and "19 days ago" in late and "Balance due 300.00" in late.replace("\n", " ")
    unpaid = pdf_text(next(pdfs.glob("INV-1001*.pdf")))
    assert "PAST DUE" in unpaid and "deduct" not in unpaid  # the 10-day window closed long ago
    early = tmp_path / "early"
    assert main(["invoices", str(path), "--out", str(early), "--as-of", "2026-11-05"]) == 0
    fresh = pdf_text(next(early.glob("INV-1001*.pdf")))
    assert "deduct 49.03" in fresh and "PAST DUE" not in fresh


# --- Holds that hold --------------------------------------------------------------------------------

TIME_HEAD = ["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"]
SINCE_OCTOBER = [["Contract ID", "Customer ID", "Start Date"], ["AGR-1", "1001", "2026-10-01"],
                 ["AGR-2", "1002", "2026-10-01"]]


def _status_of(path, customer):
    return [r["Status"] for r in sheet(path, "InvoiceRegister") if r["Customer ID"] == customer]


def test_an_entry_that_cannot_be_priced_holds_its_draft_until_excluded(tmp_path):
    from .test_discrepancies_tab import resolve
    for code, bad in (("TIME_NO_RATE", ["T1", "2026-10-20", "Ann", "1002", "AGR-2", "Onsite", 2, "Y"]),
                      ("TIME_NONPOSITIVE", ["T1", "2026-10-20", "Ann", "1002", "AGR-2", "Remote", 0, "Y"])):
        folder = tmp_path / code
        folder.mkdir()
        ok = ["T2", "2026-10-21", "Ann", "1002", "AGR-2", "Remote", 1.5, "Y"]
        path = month_book(folder, Timesheets=[TIME_HEAD, bad, ok], RateCard=[["Work Type", "Rate"], ["Remote", 100]],
                          Contracts=SINCE_OCTOBER)
        assert main(["close", str(path), "--date", "2026-11-01"]) == 0
        [held] = [r for r in sheet(path, "InvoiceRegister") if r["Customer ID"] == "1002"]
        assert held["Status"] == "on_hold" and code in held["Hold Reasons"]
        assert _status_of(path, "1001") == ["draft"]  # another customer's draft is not held
        [finding] = [r for r in sheet(path, "Discrepancies") if r["Code"] == code]
        assert "approve cannot bill" in finding["Suggested Action"]
        resolve(path, code, "approve")
        assert main(["close", str(path), "--date", "2026-11-01"]) == 0
        assert _status_of(path, "1002") == ["on_hold"]  # approve does not price an entry
        resolve(path, code, "exclude")
        assert main(["close", str(path), "--date", "2026-11-01"]) == 0
        assert _status_of(path, "1002") == ["draft"]
        lines = [r for r in sheet(path, "InvoiceLines") if r["Contract ID"] == "AGR-2"]
        assert sorted(r["Entry Ids"] or "" for r in lines) == ["", "", "T2"]  # October, November, the good entry
        assert main(["post", str(path), "--date", "2026-11-01"]) == 0
        assert _status_of(path, "1002") == ["posted"]


def test_an_unapproved_entry_without_a_rate_holds_nothing(tmp_path):
    bad = ["T1", "2026-10-20", "Ann", "1002", "AGR-2", "Onsite", 2, "N"]
    path = month_book(tmp_path, Timesheets=[TIME_HEAD, bad], RateCard=[["Work Type", "Rate"], ["Remote", 100]],
                      Contracts=SINCE_OCTOBER)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert _status_of(path, "1002") == ["draft"]
    assert "TIME_NO_RATE" in {r["Code"] for r in sheet(path, "Discrepancies")}


def test_amount_change_catches_a_quantity_edited_in_place(tmp_path):
    import openpyxl
    seats = [["Line ID", "Contract ID", "Description", "Kind", "Quantity", "Unit Price"],
             ["L1", "AGR-1", "Microsoft 365 seats", "per_unit", 25, 20], ["L2", "AGR-2", "Backup", "fixed", 1, 500]]
    path = month_book(tmp_path, ContractLines=seats, Contracts=SINCE_OCTOBER)
    for day in ("2026-10-01", "2026-11-01"):
        assert main(["close", str(path), "--date", day]) == 0
        assert main(["post", str(path), "--date", day]) == 0
    assert "AMOUNT_CHANGE" not in {r["Code"] for r in sheet(path, "Discrepancies") if r["Status"] == "open"}
    wb = openpyxl.load_workbook(path)
    wb["ContractLines"]["E2"] = 30  # 25 -> 30 seats, +20 %, typed over the old quantity
    wb.save(path)
    assert main(["close", str(path), "--date", "2026-12-01"]) == 0
    [f] = [r for r in sheet(path, "Discrepancies") if r["Code"] == "AMOUNT_CHANGE" and r["Status"] == "open"]
    assert f["Amount"] == 100 and f["Found"] == "600.00" and f["Contract ID"] == "AGR-1"


def test_hours_the_block_covers_are_billed_work_listed_on_the_invoice(tmp_path):
    block = [["Contract ID", "Customer ID", "Start Date", "Included Hours", "Overage Rate"],
             ["AGR-1", "1001", "2026-10-01", 10, 150], ["AGR-2", "1002", "2026-10-01", None, None]]
    time = [TIME_HEAD, ["E1", "2026-10-02", "Ann", "1001", "AGR-1", "Remote", 4, "Y"],
            ["E2", "2026-10-09", "Ann", "1001", "AGR-1", "Remote", 5, "Y"],
            ["E3", "2026-10-20", "Ann", "1001", "AGR-1", "Remote", 3.5, "Y"]]
    path = posted_month(tmp_path, Contracts=block, Timesheets=time, RateCard=[["Work Type", "Rate"], ["Remote", 120]])
    lines = {r["Source Type"]: r for r in sheet(path, "InvoiceLines") if r["Contract ID"] == "AGR-1"}
    assert (lines["overage"]["Amount"], lines["overage"]["Entry Ids"]) == (375.0, "E3")  # spec example 3
    assert (lines["included"]["Amount"], lines["included"]["Quantity"], lines["included"]["Entry Ids"]) == (0, 9, "E1 E2")
    assert [r["Invoice Number"] for r in sheet(path, "Timesheets")] == ["INV-1001"] * 3
    assert main(["refresh", str(path), "--as-of", "2027-03-01"]) == 0
    assert sheet(path, "UnbilledWIP") == []  # nothing ages into 91+
    out = tmp_path / "pdf"
    assert main(["invoices", str(path), "--out", str(out), "--invoice", "INV-1001"]) == 0
    appendix = pdf_text(next(out.glob("INV-1001*.pdf")))
    assert "Time detail" in appendix and appendix.count("Included") >= 2 and "Overage" in appendix


# --- Input errors: every required column, every error ----------------------------------------------

ONE_ROW = {  # one valid row per input sheet, by column name: the base every missing-column case removes from
    "Customers": {"customer_id": "C1", "name": "Acme", "tax_jurisdiction": "TX"},
    "Contracts": {"contract_id": "AGR-1", "customer_id": "C1", "start_date": "2026-01-01"},
    "ContractLines": {"line_id": "L1", "contract_id": "AGR-1", "description": "Managed", "unit_price": 100},
    "RateCard": {"work_type": "Remote", "rate": 100},
    "Timesheets": {"entry_id": "T1", "date": "2026-10-01", "technician": "Ann", "customer_id": "C1",
                   "contract_id": "AGR-1", "work_type": "Remote", "hours": 2},
    "Charges": {"charge_id": "CH1", "date": "2026-10-01", "customer_id": "C1", "description": "Cable", "unit_price": 10},
    "Milestones": {"milestone_id": "M1", "contract_id": "AGR-1", "description": "Design", "amount": 500},
    "TaxRates": {"jurisdiction": "TX", "tax_category": "services", "rate": 0},
    "Payments": {"payment_id": "P1", "date": "2026-10-01", "customer_id": "C1", "amount": 100},
    "Adjustments": {"adjustment_id": "A1", "date": "2026-10-01", "invoice_number": "INV-1", "amount": 10, "reason": "x"},
    "Disputes": {"invoice_number": "INV-1", "opened_date": "2026-10-01"},
    "VendorCounts": {"customer_id": "C1", "vendor_sku": "M365-BP", "quantity": 25, "as_of": "2026-10-01"},
    "VendorMappings": {"vendor": "Pax8", "kind": "alias", "name": "Acme Inc", "value": "C1"},
    "Amendments": {"amendment_id": "AM1", "contract_id": "AGR-1", "effective_date": "2026-10-01", "description": "x"},
    "GLAccounts": {"account": "4000", "name": "Services"},
}


def _one_row_book(path, without=None):
    from xlbilling.schema import title_case
    sheets = {}
    for name, row in ONE_ROW.items():
        cols = [c for c in row if (name, c) != without]
        sheets[name] = [[title_case(c) for c in cols], [row[c] for c in cols]]
    return write_book(path, sheets, base=False)


def test_a_missing_required_column_is_one_error_naming_the_sheet_and_header(tmp_path, capsys):
    from xlbilling.schema import SHEETS
    assert main(["validate", str(_one_row_book(tmp_path / "ok.xlsx")), "--json"]) == 0
    cases = [(s.name, c) for s in SHEETS for c in s.columns if c.required]
    assert len(cases) >= 35 and set(ONE_ROW) == {s.name for s in SHEETS}
    for n, (sheet_name, col) in enumerate(cases):
        path = _one_row_book(tmp_path / f"b{n}.xlsx", (sheet_name, col.name))
        before = path.read_bytes()
        for command in ("validate", "close"):
            capsys.readouterr()
            assert main([command, str(path), "--json"]) == 1, (sheet_name, col.name, command)
            [error] = json.loads(capsys.readouterr().out)["errors"]
            assert error["where"] == f"{sheet_name}!1:1" and col.title in error["message"], error
        assert path.read_bytes() == before


def test_every_input_error_is_reported_in_json_and_the_text_says_how_many_more(tmp_path, capsys):
    rows = [["Entry ID", "Date", "Technician", "Customer ID", "Work Type", "Hours"]]
    rows += [[f"T{k}", "2026-13-40", "Ann", "C1", "Remote", 1] for k in range(400)]
    path = write_book(tmp_path / "b.xlsx", {
        "Customers": [["Customer ID", "Name"], ["C1", "Acme"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date"], ["AGR-1", "C1", "2026-01-01"]],
        "Timesheets": rows}, base=False)
    assert main(["validate", str(path), "--json"]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert len(errors) == 400 and {e["where"] for e in errors} == {f"Timesheets!B{r}" for r in range(2, 402)}
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "400 input error(s)" in out and "and 200 more (use --json for the full list)" in out


# --- Read-only means read-only (spec section 3) -----------------------------------------------------

def test_read_only_commands_never_write_and_work_while_excel_has_the_book_open(tmp_path, capsys):
    import hashlib
    path = posted_month(tmp_path, [["P1", "2026-11-05", "1002", 200, None]])
    (tmp_path / "~$Book.xlsx").write_bytes(b"Excel owner file")
    backups = sorted((tmp_path / ".xlbilling-backups").iterdir())
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    commands = [["validate"], ["invoices", "--out", str(tmp_path / "pdf"), "--statements"],
                ["report", "--out", str(tmp_path / "report.xlsx")],
                ["export-gl", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(tmp_path / "gl.csv")],
                ["send", "--dry-run", "--outbox", str(tmp_path / "outbox")]]
    for command in commands:
        assert main([command[0], str(path), *command[1:]]) == 0, command
        assert hashlib.md5(path.read_bytes()).hexdigest() == digest, command
    assert sorted((tmp_path / ".xlbilling-backups").iterdir()) == backups
    assert (tmp_path / "report.xlsx").exists() and (tmp_path / "gl.csv").exists() and list((tmp_path / "pdf").iterdir())
    assert main(["refresh", str(path)]) == 1  # a command that writes still refuses
    assert "open in Excel" in capsys.readouterr().err


def test_no_output_may_be_the_workbook_or_its_backups(tmp_path, capsys):
    path = posted_month(tmp_path)
    before = path.read_bytes()
    for command in (["export-gl", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(path)],
                    ["report", "--out", str(path)], ["invoices", "--out", str(path)],
                    ["report", "--out", str(tmp_path / ".xlbilling-backups" / "r.xlsx")]):
        assert main([command[0], str(path), *command[1:]]) == 2, command
        assert "would overwrite the workbook" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_backups_are_bounded_by_a_setting(tmp_path):
    settings = [["Setting", "Value"], ["backups_kept", 2]]
    path = month_book(tmp_path, Settings=settings)
    for _ in range(4):
        assert main(["close", str(path), "--date", "2026-11-01"]) == 0
        assert main(["refresh", str(path), "--as-of", "2026-11-02"]) == 0
    kept = list((tmp_path / ".xlbilling-backups").iterdir())
    assert len(kept) == 2
    assert python_calamine.load_workbook(max(kept)).get_sheet_by_name("InvoiceRegister").to_python()[1]


# --- The terminal ----------------------------------------------------------------------------------

class _Terminal:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_keeps_its_clock_running_and_the_summary_starts_on_its_own_line():
    import time
    from xlbilling.io.progress import Progress
    screen = _Terminal()
    progress = Progress(stream=screen, tick=0.05)
    progress("Reading Timesheets")
    time.sleep(0.4)
    progress.done()
    draws = [d for d in screen.text.split("\r\033[K") if d]
    assert len(draws) >= 4 and all(d.endswith("Reading Timesheets…") for d in draws)
    clocks = [float(d.split("s")[0]) for d in draws]
    assert clocks == sorted(clocks) and clocks[-1] >= 0.3  # the clock ran while the stage worked
    assert screen.text.endswith("\r\033[K")  # cleared: what is printed next starts on a clean line


def test_progress_in_a_log_shows_only_stages_that_take_a_while(monkeypatch):
    import io
    import time
    from xlbilling.io import progress as progress_module
    monkeypatch.setattr(progress_module, "LOG_AFTER", 0.2)
    log = io.StringIO()
    progress = progress_module.Progress(stream=log, tick=0.05)
    progress("Reading Settings")
    progress("Billing")
    time.sleep(0.4)
    progress.done()
    assert "Reading Settings" not in log.getvalue() and log.getvalue().count("Billing…") == 1


def test_close_names_each_stage(tmp_path):
    from xlbilling.jobs import close_workbook
    path = month_book(tmp_path)
    stages = []
    assert close_workbook(path, date(2026, 11, 1), None, stages.append).ok
    text = "\n".join(stages)
    for expected in ("Reading Book.xlsx", "Reading Customers", "Reading Contracts", "Scheduling", "Billing",
                     "Writing InvoiceRegister", "Writing InvoiceLines", "Writing Discrepancies", "Checking and saving"):
        assert expected in text, expected


def test_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys
    path = month_book(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "xlbilling.cli", "close", str(path), "--date", "2026-11-01",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(5)
    proc.stdout.close()  # what `| head -c 5` does
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and "Traceback" not in err and "BrokenPipe" not in err


def test_files_that_are_not_workbooks_are_named_plainly(tmp_path, capsys):
    xls = tmp_path / "Old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    renamed = tmp_path / "Notes.xlsx"
    renamed.write_text("just some text")
    for path in (xls, renamed):
        assert main(["validate", str(path)]) == 1
        assert "not an .xlsx/.xlsm workbook (an Excel 97-2003 .xls? Save it as .xlsx)" in capsys.readouterr().out
    locked = tmp_path / "Locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64) + "EncryptionInfo".encode("utf-16-le"))
    assert main(["validate", str(locked)]) == 1
    assert "password-protected: save a copy without a password" in capsys.readouterr().out
    assert main(["validate", str(tmp_path)]) == 2 and "is a folder" in capsys.readouterr().err


def test_new_into_a_folder_that_does_not_exist_is_an_error(tmp_path, capsys):
    assert main(["new", str(tmp_path / "missing" / "Book.xlsx")]) == 2
    assert "no such folder" in capsys.readouterr().err and not (tmp_path / "missing").exists()


def test_send_json_carries_the_reasons_a_message_was_not_sent(tmp_path, capsys):
    customers = [*CUSTOMERS, ["1003", "Cedar Co", None, "TX", "NET30"]]
    contracts = [*CONTRACTS, ["AGR-3", "1003", "2026-11-01"]]
    lines = [*LINES, ["L3", "AGR-3", "Support", 1, 100]]
    path = posted_month(tmp_path, Customers=customers, Contracts=contracts, ContractLines=lines)
    capsys.readouterr()
    assert main(["send", str(path), "--dry-run", "--json", "--outbox", str(tmp_path / "out")]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["not_sent"] == ["INV-1003: customer 1003 has no billing email"]


def test_a_draft_id_never_doubles_the_po_prefix():
    from xlbilling.core.invoicing import draft_id
    assert draft_id(("1001", None, "PO-7781")) == "D-1001-PO-7781"
    assert draft_id(("1001", None, "7781")) == "D-1001-PO7781"


# --- Spec v2 columns and settings ------------------------------------------------------------------

def test_spec_v2_columns_and_the_time_zone_setting_are_read(tmp_path, capsys):
    from xlbilling.io.reader import read_book
    customers = [CUSTOMERS[0] + ["Accounting Name", "Source Ref"],
                 [*CUSTOMERS[1], "Acme Dental Group LLC", "connectwise:company:19"], CUSTOMERS[2] + [None, None]]
    lines = [LINES[0] + ["Unit Cost", "Vendor SKU", "Source Ref"],
             [*LINES[1], 1800, "CFQ7TTC0LH18", "connectwise:addition:77"], LINES[2] + [None, None, None]]
    path = month_book(tmp_path, Customers=customers, ContractLines=lines,
                      Settings=[["Setting", "Value"], ["time_zone", "America/Chicago"]])
    book = read_book(path).book
    acme = book.customers[0]
    assert (acme.accounting_name, acme.source_ref) == ("Acme Dental Group LLC", "connectwise:company:19")
    line = book.lines[0]
    assert (line.unit_cost, line.vendor_sku, line.source_ref) == (Decimal("1800"), "CFQ7TTC0LH18",
                                                                  "connectwise:addition:77")
    assert book.settings.time_zone == "America/Chicago"
    (tmp_path / "bad").mkdir()
    bad = month_book(tmp_path / "bad", Settings=[["Setting", "Value"], ["time_zone", "Central Time"]])
    assert main(["validate", str(bad), "--json"]) == 1
    [error] = json.loads(capsys.readouterr().out)["errors"]
    assert error["where"] == "Settings!B2" and "IANA time zone" in error["expected"]
