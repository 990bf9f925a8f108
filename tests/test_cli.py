"""The command line: exit codes, JSON findings, summaries, and nothing written on input errors."""

import json
import subprocess
import sys

import python_calamine

from xlbilling.cli import main

from .books import write_book

TS_HEAD = ["Entry ID", "Date", "Technician", "Customer ID", "Work Type", "Hours"]


def test_validate_a_clean_book_exits_0_and_writes_nothing(tmp_path, capsys):
    """Spec v2, read-only commands: validate never writes the workbook (no RunLog row, no backup)."""
    path = write_book(tmp_path / "b.xlsx", {})
    before = path.read_bytes()
    assert main(["validate", str(path)]) == 0
    assert "is valid: 2 customers, 2 contracts" in capsys.readouterr().out
    assert path.read_bytes() == before and not (tmp_path / ".xlbilling-backups").exists()


def test_close_logs_its_run(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {})
    assert main(["close", str(path), "--date", "2026-04-01"]) == 0
    rows = python_calamine.load_workbook(path).get_sheet_by_name("RunLog").to_python()
    assert rows[0] == ["When", "Command", "Arguments", "Counts", "Result"] and rows[1][1] == "close"
    assert main(["close", str(path), "--date", "2026-04-01"]) == 0
    assert len(python_calamine.load_workbook(path).get_sheet_by_name("RunLog").to_python()) == 3


def test_input_errors_exit_1_name_every_cell_and_write_nothing(tmp_path, capsys):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-02-30", "Ann", "1001", "Remote", "x"]]})
    before = path.read_bytes()
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 input error(s)" in out and "Timesheets!B2" in out and "Timesheets!F2" in out
    assert path.read_bytes() == before
    assert not (tmp_path / ".xlbilling-backups").exists()


def test_json_findings(tmp_path, capsys):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "Remote", "x"]]})
    assert main(["validate", str(path), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["result"] == "input_errors"
    assert [(e["where"], e["found"]) for e in payload["errors"]] == [("Timesheets!F2", '"x"')]


def test_wrong_usage_exits_2(tmp_path):
    assert main([]) == 2
    assert main(["validate", str(tmp_path / "missing.xlsx")]) == 2
    assert main(["new", str(tmp_path / "book.csv")]) == 2
    done = subprocess.run([sys.executable, "-m", "xlbilling.cli", "validate"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr


def test_workbook_open_in_excel_is_refused_plainly_by_commands_that_write(tmp_path, capsys):
    path = write_book(tmp_path / "b.xlsx", {})
    (tmp_path / "~$b.xlsx").write_bytes(b"x")
    assert main(["close", str(path), "--date", "2026-04-01"]) == 1
    assert "open in Excel" in capsys.readouterr().err
    assert main(["validate", str(path)]) == 0  # a read-only command works while Excel has the book open


def test_help_on_every_command():
    for command in ("new", "validate", "demo"):
        done = subprocess.run([sys.executable, "-m", "xlbilling.cli", command, "--help"], capture_output=True, text=True)
        assert done.returncode == 0 and "usage: xlbilling " + command in done.stdout


def test_demo_closes_and_posts_three_months_of_the_sample(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert out.count("Posted ") == 3 and "INV-1001 to" in out
    register = python_calamine.load_workbook(tmp_path / "demo" / "SampleBilling.xlsx").get_sheet_by_name("InvoiceRegister")
    statuses = [r[2] for r in register.to_python()[1:]]
    # the sample's deliberate mistakes keep a few drafts on hold; everything else is posted
    issued = [s for s in statuses if s in ("posted", "partially_paid", "paid")]
    assert set(statuses) == {"posted", "partially_paid", "paid", "on_hold"} and len(issued) > 100
    # The vendors' sample exports are imported and the November close reconciles them, mismatches and all.
    assert "Importing vendors' seat counts" in out and "Remembered for Pax8 in VendorMappings" in out
    seats = python_calamine.load_workbook(tmp_path / "demo" / "SampleBilling.xlsx").get_sheet_by_name(
        "Reconciliation").to_python()
    statuses = {r[8] for r in seats[3:]}
    assert {"under-billed", "over-billed", "not billed", "matched"} <= statuses and seats[1][7] > 0 < seats[2][7]


def test_close_writes_drafts_and_a_summary(tmp_path, capsys):
    path = write_book(tmp_path / "b.xlsx", {
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed services", 1500]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
    })
    assert main(["close", str(path), "--date", "2026-04-01"]) == 0
    out = capsys.readouterr().out
    assert "invoice date 2026-04-01 (usage through 2026-03-31): 1 draft invoice(s), 6,000.00" in out
    wb = python_calamine.load_workbook(path)
    register = wb.get_sheet_by_name("InvoiceRegister").to_python()
    assert register[1][1:4] == ["D-1001", "draft", "1001"] and register[1][12] == 6000.0
    lines = wb.get_sheet_by_name("InvoiceLines").to_python()
    assert [r[5] for r in lines[1:]] == ["L1"] * 4  # January to April, in advance and lines[1][14] == "ContractLines!D2"
    before = path.read_bytes()
    assert main(["close", str(path), "--date", "April"]) == 2
    assert path.read_bytes() == before


def test_refresh_ages_receivables_as_of_a_date(tmp_path, capsys):
    from .test_post import book
    path = book(tmp_path)
    assert main(["close", str(path), "--date", "2026-04-01"]) == 0
    assert main(["post", str(path), "--date", "2026-04-01"]) == 0
    capsys.readouterr()
    assert main(["refresh", str(path), "--as-of", "2026-06-15"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Receivables as of 2026-06-15:") and "past due on 2" in out
    wb = python_calamine.load_workbook(path)
    aging = wb.get_sheet_by_name("ARAging").to_python()
    assert aging[0][2:9] == ["Current", "1-30", "31-60", "61-90", "91+", "Unapplied", "Total"]
    collections = wb.get_sheet_by_name("Collections").to_python()
    assert {r[-1] for r in collections[1:]} == {"Final notice"}  # 45 days past due: past the 30-day final notice
    assert main(["refresh", str(path), "--as-of", "June"]) == 2


def test_close_refuses_errors_in_the_timesheets_read_in_the_background_and_writes_nothing(tmp_path, capsys):
    """close reads the Timesheets on a thread of its own while it works on the rest; their errors still
    join the others, and the workbook is left as it was."""
    path = write_book(tmp_path / "b.xlsx", {
        "Timesheets": [TS_HEAD, ["T1", "2026-10-02", "Ann", "1001", "Remote", "two"]],
        "Payments": [["Payment ID", "Date", "Customer ID", "Amount"], ["P1", "2026-10-01", "1001", "lots"]]})
    before = path.read_bytes()
    assert main(["close", str(path), "--date", "2026-11-01"]) == 1
    out = capsys.readouterr().out
    assert "2 input error(s)" in out and "Timesheets!F2" in out and "Payments!D2" in out
    assert path.read_bytes() == before and not (tmp_path / ".xlbilling-backups").exists()


def test_close_refuses_when_only_the_timesheets_have_errors(tmp_path, capsys):
    """The other sheets are clean, so close starts on them; the Timesheets' error still stops it."""
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-02", "Ann", "1001", "Remote", "two"]]})
    before = path.read_bytes()
    assert main(["close", str(path), "--date", "2026-11-01"]) == 1
    assert "Timesheets!F2" in capsys.readouterr().out and path.read_bytes() == before


def test_close_schedules_while_the_timesheets_load_and_bills_the_same(tmp_path, monkeypatch):
    import time
    from xlbilling import jobs
    from xlbilling.io import reader
    sheets = {
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed services", 1500]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]],
        "RateCard": [["Contract ID", "Work Type", "Rate"], [None, "Remote", 120]],
        "Timesheets": [TS_HEAD + ["Contract ID", "Approved"], ["T1", "2026-03-02", "Ann", "1001", "Remote", 2, "AGR-1", "Y"]],
    }
    fast, slow = write_book(tmp_path / "fast.xlsx", sheets), write_book(tmp_path / "slow.xlsx", sheets)
    assert main(["close", str(fast), "--date", "2026-04-01"]) == 0
    load, events = reader._load_file_sheet, []

    def slow_timesheets(xl, pkg, name, part, spec, path):
        if name == "Timesheets":
            time.sleep(0.5)
            events.append("timesheets loaded")
        return load(xl, pkg, name, part, spec, path)

    def schedule(*args, **kw):
        events.append("scheduled")
        return recurring_outlook(*args, **kw)

    recurring_outlook = jobs.recurring_outlook
    monkeypatch.setattr(reader, "_load_file_sheet", slow_timesheets)
    monkeypatch.setattr(jobs, "recurring_outlook", schedule)
    assert main(["close", str(slow), "--date", "2026-04-01"]) == 0
    assert events == ["scheduled", "timesheets loaded"]
    for tab in ("InvoiceRegister", "InvoiceLines", "BillingSchedule", "ContractStatus"):
        a = python_calamine.load_workbook(fast).get_sheet_by_name(tab).to_python()
        b = python_calamine.load_workbook(slow).get_sheet_by_name(tab).to_python()
        assert a == b, tab
    lines = python_calamine.load_workbook(slow).get_sheet_by_name("InvoiceLines").to_python()
    assert [r[4] for r in lines[1:]].count("time") == 1  # the entry was billed, not only the schedule
