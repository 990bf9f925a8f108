"""Reading workbooks: typed records with their cells, and every kind of input error named by its cell."""

import subprocess
import sys
import re
import zipfile
from datetime import date
from decimal import Decimal

from xlbilling.io.reader import read_book, start_reading

from .books import write_book

TS_HEAD = ["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"]


def errors_at(result):
    return {e.where for e in result.errors}


def test_records_are_typed_and_remember_their_cells(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [
        ["Notes", "hours", "ENTRY-ID", "date", "technician", "customer id", "work_type", "Approved"],
        ["fixed it", 1.5, "T1", date(2026, 10, 2), "Ann", 1001, "Remote", "Y"],
        [None, None, None, None, None, None, None, None],
        ["", "0.25", 7, "2026-10-03", "Bob", "1002", "Onsite", None],
    ]})
    result = read_book(path)
    assert result.errors == []
    book = result.book
    first, second = book.time_entries
    assert first.hours == Decimal("1.5") and first.date == date(2026, 10, 2) and first.approved is True
    assert second.entry_id == "7" and second.hours == Decimal("0.25") and second.approved is False
    assert second.billable is True  # default
    assert second.row == 4  # the blank row 3 was skipped
    assert book.cell(first, "hours") == "Timesheets!B2"
    assert book.cell(second, "entry_id") == "Timesheets!C4"
    assert book.contracts[1].start_date == date(2026, 2, 1)
    assert book.contracts[1].billing_frequency == "quarterly"
    assert book.contracts[0].billing_timing == "advance"  # default


def test_unknown_columns_are_ignored(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Customers": [
        ["Customer ID", "Name", "Account Manager"], ["1001", "Acme", "Jo"], ["1002", "Birch", "Al"]]})
    assert read_book(path).ok


def test_text_in_a_number_column(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", "two", "Y"]]})
    result = read_book(path)
    [err] = result.errors
    assert err.where == "Timesheets!G2" and err.found == '"two"' and "number" in err.expected


def test_impossible_date(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-02-30", "Ann", "1001", "AGR-1", "Remote", 1, "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!B2" and "2026-02-30" in err.found


def test_excel_error_values(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "#REF!", "#N/A", "Y"]]})
    result = read_book(path)
    found = {e.where: e.found for e in result.errors}
    assert found == {"Timesheets!F2": "#REF!", "Timesheets!G2": "#N/A"}


def test_formula_without_a_cached_value(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", "=1+1", "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!G2" and "formula" in err.message


def test_formula_is_read_by_its_cached_value(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", "=1+1", "Y"]]})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/") and b"1+1" in parts[n])
    parts[sheet] = parts[sheet].replace(b"<f>1+1</f><v /></c>", b"<f>1+1</f><v>2</v></c>")
    with zipfile.ZipFile(path, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    result = read_book(path)
    assert result.errors == []
    assert result.book.time_entries[0].hours == Decimal(2)


def test_missing_required_sheet(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Customers": [["Customer ID", "Name"], ["1", "A"]]}, base=False)
    result = read_book(path)
    assert errors_at(result) == {"Contracts"}


def test_misspelled_sheet_is_named(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheet": [TS_HEAD], "Rate Cards": [["Work Type", "Rate"]]})
    result = read_book(path)
    messages = {e.where: e.expected for e in result.errors}
    assert "Timesheets" in messages["Timesheet"] and "RateCard" in messages["Rate Cards"]


def test_missing_required_column(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD[:-2] + ["Approved"], ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!1:1" and "Hours" in err.message


def test_blank_required_cell(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", None, "1001", "AGR-1", "Remote", 1, "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!C2" and "required" in err.message


def test_duplicate_id(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [
        TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", 1, "Y"],
        ["T1", "2026-10-02", "Ann", "1001", "AGR-1", "Remote", 1, "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!A3" and "Timesheets!A2" in err.expected


def test_unknown_reference(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "9999", "AGR-1", "Remote", 1, "Y"]]})
    [err] = read_book(path).errors
    assert err.where == "Timesheets!D2" and err.found == '"9999"'


def test_unknown_contract_on_a_time_entry_is_not_an_input_error(tmp_path):
    # It is the TIME_NO_CONTRACT discrepancy of the audit, not a reason to refuse the workbook.
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [TS_HEAD, ["T1", "2026-10-01", "Ann", "1001", "AGR-404", "Remote", 1, "Y"]]})
    assert read_book(path).ok


def test_bad_enumeration_and_boolean(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Contracts": [
        ["Contract ID", "Customer ID", "Start Date", "Billing Frequency", "Status"],
        ["AGR-1", "1001", "2026-01-01", "weekly", "active"],
        ["AGR-2", "1002", "2026-01-01", "monthly", "paused"]],
        "Customers": [["Customer ID", "Name", "Tax Exempt"], ["1001", "A", "maybe"], ["1002", "B", "N"]]})
    assert errors_at(read_book(path)) == {"Contracts!D2", "Contracts!E3", "Customers!C2"}


def test_five_different_errors_are_all_reported(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {
        "Timesheets": [TS_HEAD,
                       ["T1", "2026-02-30", "Ann", "1001", "AGR-1", "Remote", "two", "Y"],  # bad date, text hours
                       ["T2", "2026-10-01", None, "1001", "AGR-1", "Remote", 1, "Y"],  # blank technician
                       ["T2", "2026-10-01", "Ann", "1001", "AGR-1", "Remote", 1, "maybe"]],  # duplicate, bad bool
        "Payments": [["Payment ID", "Date", "Customer ID", "Amount"], ["P1", "2026-10-01", "1001", "#N/A"]],
    })
    result = read_book(path)
    assert errors_at(result) >= {"Timesheets!B2", "Timesheets!G2", "Timesheets!C3", "Timesheets!H4", "Payments!D2"}
    assert result.book is None


def test_settings_are_typed_and_bad_settings_named(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"Settings": [
        ["Setting", "Value"], ["invoice_prefix", "NS-"], ["aging_buckets", "30,60,90,120"],
        ["default_payment_terms", "2/10 NET 30"], ["max_daily_hours", "lots"], ["gl_account_ar", "1200"]]})
    result = read_book(path)
    [err] = result.errors
    assert err.where == "Settings!B5"
    path = write_book(tmp_path / "c.xlsx", {"Settings": [
        ["Setting", "Value"], ["invoice_prefix", "NS-"], ["aging_buckets", "30,60,90,120"], ["gl_account_ar", 1200]]})
    settings = read_book(path).book.settings
    assert settings.invoice_prefix == "NS-" and settings.aging_buckets == (30, 60, 90, 120)
    assert settings.next_invoice_number == 1001 and settings.extra == {"gl_account_ar": "1200"}


def test_not_a_workbook(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_text("hello")
    result = read_book(path)
    assert not result.ok and result.errors[0].where == "b.xlsx"


def test_error_messages_name_sheet_and_cell():
    from xlbilling.core.findings import input_error
    text = str(input_error("Contracts!F7", "Start Date is not valid", '"2026-02-30"', "a real calendar date"))
    assert re.match(r"Contracts!F7: .*found \"2026-02-30\"; expected a real calendar date", text)


def _long_timesheets(n: int) -> list[list]:
    return [TS_HEAD] + [[f" T{i} ", "2026-10-01", f"Tech {i % 7}", "1001", "AGR-1", "Remote", 1, "Y"]
                        for i in range(n)]


def test_a_long_sheet_of_ids_reads_like_a_short_one(tmp_path):
    """Columns of nearly all different IDs skip the dictionary; trimming, blank rows and defaults stay the same."""
    rows = _long_timesheets(9000)
    rows.insert(4000, [None] * len(TS_HEAD))  # a blank row inside the table
    table = read_book(write_book(tmp_path / "b.xlsx", {"Timesheets": rows})).book.time_entries
    assert len(table) == 9000 and table[0].entry_id == "T0" and table[8999].entry_id == "T8999"
    assert table[3998].row == 4000 and table[3999].row == 4002  # rows count the blank one
    assert table[5].billable is True and table[5].approved is True


def test_errors_in_a_long_sheet_of_ids_are_named(tmp_path):
    rows = _long_timesheets(9000)
    rows[10][0] = "#N/A"  # an error value in the ID column
    rows[20][0] = None  # a blank required ID
    rows[30][1] = "2026-13-01"
    result = start_reading(write_book(tmp_path / "b.xlsx", {"Timesheets": rows,
                                                             "Payments": [["Payment ID", "Date", "Customer ID", "Amount"],
                                                                          ["P1", "2026-10-01", "1001", "lots"]]}))
    assert not result.ok and result.book is None
    assert errors_at(result) == {"Timesheets!A11", "Timesheets!A21", "Timesheets!B31", "Payments!D2"}


def test_vendor_counts_are_read_typed_and_a_bad_count_names_its_cell(tmp_path):
    head = ["Customer ID", "Vendor SKU", "Quantity", "As Of", "Vendor", "Source"]
    path = write_book(tmp_path / "b.xlsx", {"VendorCounts": [
        head, [1001, "M365-BP", 25, date(2026, 10, 31), "Microsoft", "partner-center.csv"],
        ["1002", "BACKUP-SRV", "3", "2026-11-01", None, None]]})
    book = read_book(path).book
    first, second = book.vendor_counts
    assert (first.customer_id, first.vendor_sku, first.quantity, first.as_of, first.vendor) == \
        ("1001", "M365-BP", Decimal(25), date(2026, 10, 31), "Microsoft")
    assert (second.quantity, second.as_of, book.cell(second, "quantity")) == (Decimal(3), date(2026, 11, 1),
                                                                             "VendorCounts!C3")
    bad = write_book(tmp_path / "bad.xlsx", {"VendorCounts": [head, ["1001", "M365-BP", "many", "2026-10-31"]]})
    assert errors_at(read_book(bad)) == {"VendorCounts!C2"}


def test_reading_a_book_does_not_load_pandas(tmp_path):
    """pyarrow would import all of pandas (0.1-0.2 s of every command) to ask whether a value is a pandas
    object; a read, in a fresh process, leaves pandas unloaded, and pandas still imports afterwards."""
    path = write_book(tmp_path / "book.xlsx", {})
    script = ("import sys; from xlbilling.io.reader import read_book; "
              f"assert read_book({str(path)!r}).ok; "
              "print('pandas' in sys.modules); import pandas; print(pandas.DataFrame({'a': [1]}).shape)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "(1,", "1)"]


def test_a_sheet_still_loading_cannot_be_used_until_the_read_is_complete(tmp_path):
    """The background sheets of a closed book (Timesheets, Discrepancies, InvoiceLines) load while the
    rest is used; until the read is completed, using InvoiceLines is a fault said at once, never an
    empty sheet taken for the real one."""
    import pytest
    from xlbilling.io.reader import complete
    from xlbilling.jobs import close_workbook
    path = write_book(tmp_path / "b.xlsx", {"ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"],
                                                              ["L1", "AGR-1", "Managed services", 1500]]})
    assert close_workbook(path, date(2026, 4, 1)).ok
    reading = start_reading(path)
    assert {"Discrepancies", "InvoiceLines"} <= set(reading.pending)
    with pytest.raises(RuntimeError, match="InvoiceLines sheet was used before it had loaded"):
        len(reading.book.invoice_lines)
    loaded = complete(reading, later=("InvoiceLines",))
    assert loaded.ok and set(reading.pending) == {"InvoiceLines"}
    with pytest.raises(RuntimeError):
        list(loaded.book.invoice_lines)
    whole = complete(reading)
    assert whole.ok and whole.book.invoice_lines == read_book(path).book.invoice_lines
    assert {ln.source_id for ln in whole.book.invoice_lines} == {"L1"}
    assert whole.book.customers == loaded.book.customers


def complete_ok(reading) -> bool:
    from xlbilling.io.reader import complete
    return complete(reading).ok


def test_a_book_without_the_ledger_reads_invoice_lines_at_once(tmp_path):
    """Without the posted ledger, InvoiceLines holds the only copy of the posted lines, which scheduling
    needs: it is not left to load in the background."""
    from xlbilling.schema import INVOICE_LINES
    path = write_book(tmp_path / "b.xlsx", {"InvoiceLines": [[c.title for c in INVOICE_LINES.columns]]})
    reading = start_reading(path)
    assert "InvoiceLines" not in reading.pending and reading.book.invoice_lines == ()
    assert complete_ok(reading)


def test_close_and_post_from_the_command_line_load_no_writer_of_other_files(tmp_path):
    """The month's commands do not pay for libraries only other commands use: xlsxwriter (new books,
    the report, export workbooks), fpdf (PDFs), pandas."""
    path = write_book(tmp_path / "book.xlsx", {})
    script = ("import sys; from xlbilling.cli import main; "
              f"main(['close', {str(path)!r}, '--date', '2026-04-01']); main(['post', {str(path)!r}]); "
              "print(sorted(m for m in ('xlsxwriter', 'fpdf', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
