"""Hostile files and injected faults (issue 13): each is refused with a plain message (exit 1, or 2
for usage), no traceback, bounded memory and time, and the workbook left byte for byte as it was."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xlbilling.cli import main

from .test_month import month_book, posted_month
from .test_send import smtp  # noqa: F401 - the real SMTP server on loopback, as a fixture

ROOT = Path(__file__).parent.parent


def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line in a process of its own, its memory capped at 2 GB."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
    code = limit + "import sys; from xlbilling.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def refused(path: Path, *argv: str, words: str, code: int = 1) -> str:
    before = path.read_bytes() if path.is_file() else None
    done = run(*argv)
    text = done.stdout + done.stderr
    assert done.returncode == code, text
    assert "Traceback" not in text and words in text, text
    if before is not None:
        assert path.read_bytes() == before
    return text


def rezip(source: Path, target: Path, change=lambda name, data: data, extra=()) -> Path:
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(info.filename, change(info.filename, z.read(info.filename)))
        for name, data in extra:
            out.writestr(name, data)
    return target


def test_a_zip_bomb_part_is_refused_before_it_is_inflated(tmp_path):
    book = month_book(tmp_path)
    bomb = rezip(book, tmp_path / "Bomb.xlsx", extra=[("xl/media/bomb.bin", b"\0" * (300 << 20))])
    assert bomb.stat().st_size < 2 << 20
    refused(bomb, "validate", str(bomb), words="a zip bomb")


def test_entities_and_dtds_are_refused(tmp_path):
    book = month_book(tmp_path)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>')
    for part in ("xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels"):
        target = rezip(book, tmp_path / f"x{len(part)}.xlsx",
                       lambda name, data, p=part: laughs + data.split(b"?>", 1)[-1] if name == p else data)
        refused(target, "validate", str(target), words="declares a DTD or entities")


def test_too_many_parts_or_a_name_given_twice_are_refused(tmp_path):
    book = month_book(tmp_path)
    many = rezip(book, tmp_path / "Many.xlsx", extra=[(f"xl/media/p{k}.bin", b"x") for k in range(10_000)])
    refused(many, "validate", str(many), words="more than a workbook has")
    twice = tmp_path / "Twice.xlsx"
    shutil.copy(book, twice)
    with zipfile.ZipFile(twice, "a") as z, pytest.warns(UserWarning):
        z.writestr("xl/workbook.xml", b"<workbook/>")
    refused(twice, "validate", str(twice), words="names a part twice")


def test_a_fifo_a_device_and_a_folder_are_refused_by_file_type(tmp_path):
    fifo = tmp_path / "Pipe.xlsx"
    os.mkfifo(fifo)
    refused(fifo, "validate", str(fifo), words="not a regular file")
    zero = tmp_path / "Zero.xlsx"
    zero.symlink_to("/dev/zero")
    refused(zero, "validate", str(zero), words="not a regular file")
    refused(tmp_path, "validate", str(tmp_path), words="is a folder", code=2)


def test_a_symlinked_workbook_keeps_its_link_and_the_file_keeps_its_mode(tmp_path):
    real = month_book(tmp_path)
    os.chmod(real, 0o600)
    link = tmp_path / "Link.xlsx"
    link.symlink_to(real)
    assert main(["close", str(link), "--date", "2026-11-01"]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert zipfile.ZipFile(real).read("xl/workbook.xml").count(b'name="InvoiceRegister"') == 1  # written through the link


def test_a_read_only_workbook_is_not_written(tmp_path):
    path = month_book(tmp_path)
    os.chmod(path, 0o444)
    refused(path, "close", str(path), "--date", "2026-11-01", words="is read-only")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_backup_folder_that_is_a_file_is_named(tmp_path):
    path = month_book(tmp_path)
    (tmp_path / ".xlbilling-backups").write_text("not a folder")
    refused(path, "close", str(path), "--date", "2026-11-01", words="is a file, not the backup folder")


def test_a_full_disk_writes_nothing_and_leaves_no_partial_backup(tmp_path, monkeypatch, capsys):
    path = posted_month(tmp_path)
    before = path.read_bytes()
    backups = sorted((tmp_path / ".xlbilling-backups").iterdir())
    from xlbilling.io import safe_write
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(safe_write.shutil, "disk_usage", lambda _: usage._replace(free=1000))
    assert main(["refresh", str(path)]) == 1
    assert "not enough free disk space" in capsys.readouterr().err
    monkeypatch.undo()

    def full(*_args, **_kw):  # the copy fails halfway, as on a full disk
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(safe_write.shutil, "copy2", full)
    assert main(["refresh", str(path)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert path.read_bytes() == before and sorted((tmp_path / ".xlbilling-backups").iterdir()) == backups
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_what_killed_runs_left_behind_is_swept(tmp_path):
    import tempfile
    path = month_book(tmp_path)
    dead = 4_000_000  # no such process
    stale = tmp_path / f".Book.xlsx.{dead}.tmp"
    stale.write_bytes(b"x" * 1000)
    pieces = Path(tempfile.gettempdir()) / f"xlbilling-{dead}-abc"
    pieces.mkdir(exist_ok=True)
    (pieces / "part0.xlsx").write_bytes(b"x")
    (tmp_path / ".xlbilling-backups").mkdir()
    half = tmp_path / ".xlbilling-backups" / f".Book.{dead}.partial"
    half.write_bytes(b"x")
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert not stale.exists() and not half.exists()
    from xlbilling.io.reader import _load_in_parts  # noqa: F401 - the sweep of the temp folder runs there
    from xlbilling.io.safe_write import sweep_leftovers
    sweep_leftovers(Path(tempfile.gettempdir()), "xlbilling-")
    assert not pieces.exists()


def test_a_workbook_in_the_1904_date_system_gets_its_dates_right_both_ways(tmp_path):
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from datetime import date, datetime
    from .test_month import CONTRACTS, CUSTOMERS, LINES, TAXES
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.remove(wb.active)
    contracts = [CONTRACTS[0], *([r[0], r[1], datetime(2026, 11, 1)] for r in CONTRACTS[1:])]
    for name, rows in {"Customers": CUSTOMERS, "Contracts": contracts, "ContractLines": LINES, "TaxRates": TAXES}.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = tmp_path / "Mac.xlsx"
    wb.save(path)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    back = openpyxl.load_workbook(path)
    assert back.epoch == CALENDAR_MAC_1904
    rows = list(back["InvoiceRegister"].iter_rows(min_row=2, values_only=True))
    heads = [c.value for c in back["InvoiceRegister"][1]]
    dates = {rows[0][heads.index(h)].date() for h in ("Invoice Date",)}
    assert dates == {date(2026, 11, 1)}
    assert rows[0][heads.index("Due Date")].date() == date(2026, 12, 1)
    assert main(["validate", str(path)]) == 0  # and it reads its own dates back


# --- Every domain bound -----------------------------------------------------------------------------

def _errors(path, capsys) -> list[dict]:
    import json
    capsys.readouterr()
    assert main(["validate", str(path), "--json"]) == 1
    return json.loads(capsys.readouterr().out)["errors"]


@pytest.mark.parametrize("sheet,row,cell", [
    ("ContractLines", ["L1", "AGR-1", "Managed services", 1, -13830.96], "ContractLines!E2"),
    ("ContractLines", ["L1", "AGR-1", "Managed services", -3, 100], "ContractLines!D2"),
    ("ContractLines", ["L1", "AGR-1", "Managed services", 1, 1e308], "ContractLines!E2"),
    ("Payments", ["P1", "2026-11-05", "1001", -50], "Payments!D2"),
    ("RateCard", ["Remote", -120], "RateCard!B2"),
])
def test_negative_and_huge_amounts_are_input_errors_naming_the_cell(tmp_path, capsys, sheet, row, cell):
    from .test_month import LINES, PAYMENTS
    heads = {"ContractLines": LINES[0], "Payments": PAYMENTS[:4], "RateCard": ["Work Type", "Rate"]}
    path = month_book(tmp_path, **{sheet: [heads[sheet], row]})
    before = path.read_bytes()
    [error] = _errors(path, capsys)
    assert error["where"] == cell and ("0 or more" in error["expected"] or "at most" in error["expected"])
    assert path.read_bytes() == before


def test_minus_zero_is_zero(tmp_path):
    from .test_month import sheet
    lines = [["Line ID", "Contract ID", "Description", "Quantity", "Unit Price"], ["L1", "AGR-1", "Free", 1, -0.0]]
    path = month_book(tmp_path, ContractLines=lines)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert [r["Amount"] for r in sheet(path, "InvoiceLines")] == [0]


def test_two_rates_or_tax_rates_for_one_key_are_input_errors(tmp_path, capsys):
    path = month_book(tmp_path, RateCard=[["Work Type", "Rate"], ["Remote", 120], ["remote ", 125]],
                      TaxRates=[["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0], ["TX", "Services", 0.0825]])
    found = {e["where"]: e for e in _errors(path, capsys)}
    assert set(found) == {"RateCard!B3", "TaxRates!C3"}
    assert "RateCard!B2" in found["RateCard!B3"]["expected"]


def test_a_charge_on_another_customers_contract_is_an_input_error(tmp_path, capsys):
    charges = [["Charge ID", "Date", "Customer ID", "Contract ID", "Description", "Unit Price"],
               ["CH1", "2026-10-15", "1001", "AGR-2", "Laptop", 1299]]
    path = month_book(tmp_path, Charges=charges)
    [error] = _errors(path, capsys)
    assert error["where"] == "Charges!D2" and "belongs to 1002" in error["message"]


def test_an_invoice_number_typed_by_hand_is_a_finding_and_the_entry_is_not_billed(tmp_path):
    from .test_month import SINCE_OCTOBER, TIME_HEAD, sheet
    time = [TIME_HEAD + ["Invoice Number"], ["T1", "2026-10-20", "Ann", "1002", "AGR-2", "Remote", 2, "Y", "OLD-77"]]
    path = month_book(tmp_path, Timesheets=time, RateCard=[["Work Type", "Rate"], ["Remote", 100]],
                      Contracts=SINCE_OCTOBER)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    [f] = [r for r in sheet(path, "Discrepancies") if r["Code"] == "INVOICE_NUMBER_UNKNOWN"]
    assert f["Cell"] == "Timesheets!I2" and "OLD-77" in f["Message"]
    assert not [r for r in sheet(path, "InvoiceLines") if r["Entry Ids"] == "T1"]


# --- Damaged sheets and values that would crash a run ----------------------------------------------

def test_invalid_utf8_a_dangling_sheet_and_overlong_text_are_named(tmp_path):
    book = month_book(tmp_path)
    bad = rezip(book, tmp_path / "Utf8.xlsx",
                lambda n, x: x.replace(b"Acme Dental", b"Acme \xff\xfe Dental") if n.startswith("xl/") else x)
    refused(bad, "validate", str(bad), words="the sheet 'Customers' cannot be read")
    with zipfile.ZipFile(book) as z, zipfile.ZipFile(tmp_path / "Dangling.xlsx", "w") as out:
        for info in z.infolist():
            if info.filename != "xl/worksheets/sheet2.xml":
                out.writestr(info, z.read(info))
    refused(tmp_path / "Dangling.xlsx", "validate", str(tmp_path / "Dangling.xlsx"), words="cannot be read")
    long = rezip(book, tmp_path / "Long.xlsx",
                 lambda n, x: x.replace(b"Acme Dental", b"A" * 40_000) if n.startswith("xl/") else x)
    text = refused(long, "validate", str(long), words="at most 32,767 characters")
    assert "Customers!B2" in text and len(text) < 2000  # the value is shown shortened


def test_escalation_compounded_to_2199_bills_without_overflow(tmp_path):
    from .books import write_book
    path = write_book(tmp_path / "Old.xlsx", {
        "Customers": [["Customer ID", "Name", "Tax Exempt"], ["C1", "Acme", "Y"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date", "Escalation Pct"], ["A1", "C1", "1990-01-01", 0.5]],
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price", "Start Date"],
                          ["L1", "A1", "Support", 1000, "2199-11-01"]]}, base=False)
    done = run("close", str(path), "--date", "2199-12-01")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_line_breaks_that_would_inject_mail_headers_are_input_errors(tmp_path, capsys):
    from .test_month import CONTRACTS, LINES, TAXES
    from .books import write_book
    path = write_book(tmp_path / "Mail.xlsx", {
        "Customers": [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction"],
                      ["1001", "Acme", "ap@acme.example\r\nBcc: thief@example.net", "TX"],
                      ["1002", "Birch", "ap@birch.example; owner@birch.example", "TX"]],
        "Contracts": CONTRACTS, "ContractLines": LINES, "TaxRates": TAXES,
        "Settings": [["Setting", "Value"], ["company_name", "Northstar\r\nBcc: thief@example.net"],
                     ["company_email", "billing@northstar.example"]]}, base=False)
    text = refused(path, "close", str(path), "--date", "2026-11-01", words="Customers!C2")
    assert "Settings!B2" in text and "one line" in text and "e-mail address" in text
    assert "Customers!C3" not in text  # two addresses separated by ; are fine


def test_several_billing_addresses_all_receive_the_invoice(tmp_path, smtp):
    from .test_month import CONTRACTS, LINES, TAXES
    from .books import write_book
    path = write_book(tmp_path / "Two.xlsx", {
        "Customers": [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction"],
                      ["1001", "Acme", "ap@acme.example;owner@acme.example", "TX"],
                      ["1002", "Birch", "ap@birch.example", "TX"]],
        "Contracts": CONTRACTS, "ContractLines": LINES, "TaxRates": TAXES,
        "Settings": [["Setting", "Value"], ["company_email", "billing@northstar.example"]]}, base=False)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    assert main(["send", str(path)]) == 0
    assert sorted(to for tos, _ in smtp.messages for to in tos) == [
        "ap@acme.example", "ap@birch.example", "owner@acme.example"]


def test_pdfs_keep_every_script_of_a_name(tmp_path):
    import pypdf
    from .test_month import CONTRACTS, LINES, TAXES
    from .books import write_book
    name = "Zoë Ångström — שלום 東京 🎉"
    path = write_book(tmp_path / "Names.xlsx", {
        "Customers": [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction"], ["1001", name, "ap@zoe.example", "TX"],
                      ["1002", "Birch Law", "ap@birch.example", "TX"]],
        "Contracts": CONTRACTS, "ContractLines": LINES, "TaxRates": TAXES}, base=False)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    assert main(["invoices", str(path), "--out", str(tmp_path / "pdf")]) == 0
    [pdf] = (tmp_path / "pdf").glob("INV-1001*.pdf")
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    for word in ("Zoë", "Ångström", "東京", "🎉"):
        assert word in text, (word, text[:300])
    assert "שלום" in text or "םולש" in text  # Hebrew, in either reading order of the extractor
    assert "?" not in text.split("Bill to")[1].split("\n")[1]  # nothing lost to "?"


def test_an_unreadable_book_and_an_unwritable_folder_get_plain_messages(tmp_path, monkeypatch, capsys):
    """As the operating system says no (the run as root here cannot be refused for real): the
    workbook's folder refuses the new file, then the workbook refuses to be read."""
    import builtins
    from xlbilling.io import reader, safe_write
    path = month_book(tmp_path)
    before = path.read_bytes()

    def refusing(target, *args, **kwargs):
        if str(target).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(target))
        return builtins.open(target, *args, **kwargs)
    monkeypatch.setattr(safe_write, "open", refusing, raising=False)
    assert main(["close", str(path), "--date", "2026-11-01"]) == 1
    err = capsys.readouterr().err
    assert "Permission denied" in err and "the workbook was not changed" in err and path.read_bytes() == before
    monkeypatch.setattr(reader, "open", refusing, raising=False)
    assert main(["validate", str(path)]) == 1
    assert "Permission denied" in capsys.readouterr().err
