"""The Excel edge against the xlwings stand-in: the same records and tabs as the file path, and every
ribbon entry point running on the sample."""

from datetime import date, datetime

import pytest
import python_calamine
import xlwings

from xlbilling.excel import entry
from xlbilling.excel.book import ExcelWorkbook
from xlbilling.io.reader import read_book
from xlbilling.io.template import build_workbook
from xlbilling.jobs import close_workbook, post_workbook
from xlbilling.sample import build_sample

from .xlwings_standin import Book


@pytest.fixture()
def sample(tmp_path):
    path = tmp_path / "Sample.xlsx"
    rows, settings = build_sample()
    path.write_bytes(build_workbook(path, rows, settings))
    return path


def test_the_same_records_through_excel_and_through_the_file(sample):
    from_file = read_book(sample).book
    from_excel = ExcelWorkbook(Book.from_file(sample)).read().book
    assert from_excel.settings == from_file.settings
    assert from_excel.columns == from_file.columns
    for sheet, records in from_file.records.items():
        assert from_excel.records[sheet] == records, sheet


def test_excel_values_become_the_same_input_errors(tmp_path):
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {"Timesheets": [
        ["Entry ID", "Date", "Technician", "Customer ID", "Work Type", "Hours"],
        ["T1", "2026-02-30", "Ann", "1001", "Remote", "two"]]})
    book = Book.from_file(path)
    book.sheets["Timesheets"].cells[(2, 6)] = "#N/A"  # Excel shows an error value in Hours
    errors = ExcelWorkbook(book).read().errors
    assert {(e.where, e.found) for e in errors} == {("Timesheets!B2", '"2026-02-30"'), ("Timesheets!F2", "#N/A")}


def _normal(values):
    def one(v):
        if isinstance(v, datetime):
            return v.date()
        return None if v == "" else v
    return [[one(v) for v in row] for row in values if any(v not in (None, "") for v in row)]


def test_the_same_output_tabs_through_excel_and_through_the_file(sample):
    book = Book.from_file(sample)
    assert close_workbook(ExcelWorkbook(book), date(2026, 9, 1)).ok
    assert close_workbook(sample, date(2026, 9, 1)).ok
    wb = python_calamine.load_workbook(sample)
    for tab in ("InvoiceRegister", "InvoiceLines", "BillingSchedule", "ARAging", "GLJournal"):
        in_excel = _normal(book.sheets[tab].used_range.value)
        in_file = _normal(wb.get_sheet_by_name(tab).to_python())
        assert in_excel == in_file, tab


def test_posting_in_excel_writes_invoice_numbers_into_the_open_book(sample):
    book = Book.from_file(sample)
    wb = ExcelWorkbook(book)
    close_workbook(wb, date(2026, 9, 1))
    assert post_workbook(wb, date(2026, 9, 1)).ok
    sheet = book.sheets["Timesheets"]
    header = sheet.used_range.value[0]
    col = header.index("Invoice Number") + 1
    billed = [sheet.cells.get((r, col)) for r in range(2, sheet.used_range.bottom + 1)]
    assert any(v and v.startswith("INV-") for v in billed)


@pytest.fixture()
def caller(sample, monkeypatch):
    book = Book.from_file(sample)
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: book))
    for name in ("XLBILLING_SMTP_HOST", "XLBILLING_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    return book


def test_every_ribbon_entry_point_runs_on_the_sample(caller, sample):
    assert entry.validate().ok
    assert entry.close_month("2026-09-01").ok
    assert entry.post().ok
    assert entry.refresh().ok
    assert entry.invoices().ok and list(sample.with_name("Invoices").glob("INV-*.pdf"))
    assert entry.report().ok
    sent = entry.send()  # no SMTP server is set up on the sample: a plain message, nothing sent
    assert not sent.ok and "smtp_host" in sent.errors[0].message
    titles = [t for t, _ in caller.app.alerts]
    assert titles == ["xlbilling: Validate", "xlbilling: Close month", "xlbilling: Post invoices",
                      "xlbilling: Refresh AR", "xlbilling: Invoice PDFs", "xlbilling: Manager report",
                      "xlbilling: Send invoices"]
    assert any(s.startswith("xlbilling: Reading") for s in caller.app.statuses) and caller.app.status_bar is False


def test_a_mistyped_invoice_date_gets_a_plain_message(caller):
    assert entry.close_month("1 Sept") is None
    assert "YYYY-MM-DD" in caller.app.alerts[-1][1]


def test_text_that_looks_like_a_formula_stays_text_in_excel(caller):
    from xlbilling.core.tabs import Column, Tab
    from xlbilling.excel.book import write_tab
    write_tab(caller, Tab("Notes", (Column("Note"),), [("=HYPERLINK(\"http://x\")",)]))
    assert caller.sheets["Notes"].cells[(2, 1)] == "=HYPERLINK(\"http://x\")"  # stored as text, not a formula


def test_a_record_written_into_the_open_book_leaves_out_what_is_past_the_last_column(caller):
    from xlbilling.core.tabs import Column, Tab
    from xlbilling.excel.book import write_tab
    write_tab(caller, Tab("Notes", (Column("Note"), Column("By")), [("checked", "AB", 17)]))  # 17: the record's row
    assert caller.sheets["Notes"].cells[(2, 1)] == "checked" and caller.sheets["Notes"].cells[(2, 2)] == "AB"
    assert (2, 3) not in caller.sheets["Notes"].cells


def test_the_import_seat_counts_button_imports_a_vendor_file_into_the_open_book(caller, tmp_path):
    from xlbilling.sample import build_sample, write_vendor_files
    file, _ = write_vendor_files(tmp_path, build_sample()[0])["microsoft365"]
    result = entry.import_counts(str(file), "")
    assert result.ok, result.errors
    counts = caller.sheets["VendorCounts"].used_range.value
    assert counts[0][:3] == ["Customer ID", "Vendor SKU", "Quantity"] and len(counts) > 5
    assert any(r[0] == "1004" and r[2] == 35 for r in counts[1:])  # the customer with 12 seats not billed
    assert caller.app.alerts[-1][0] == "xlbilling: Import seat counts" and entry.validate().ok


def test_the_import_from_connectwise_button_imports_a_folder_into_the_open_book(caller, tmp_path):
    import json
    from .test_connectwise import AGREEMENTS, ADDITIONS, TIME, WORKTYPES
    folder = tmp_path / "cw"
    folder.mkdir()
    for kind, records in (("agreements", AGREEMENTS), ("additions", ADDITIONS), ("worktypes", WORKTYPES),
                          ("time", TIME)):
        (folder / f"{kind}.json").write_text(json.dumps(records))
    result = entry.import_connectwise(str(folder))
    assert result.ok, result.errors
    contracts = caller.sheets["Contracts"].used_range.value
    ids = [r[contracts[0].index("Contract ID")] for r in contracts[1:]]
    assert "CW-501" in ids and caller.app.alerts[-1][0] == "xlbilling: Import from ConnectWise"
    assert entry.validate().ok  # the open book is still valid
