"""The Discrepancies tab in a real workbook: resolutions typed by staff drive the next close and post."""

from datetime import date

import openpyxl
import python_calamine

from xlbilling.core.register import spec_columns
from xlbilling.core.tabs import Tab
from xlbilling.io.package import CellEdit, write_tabs
from xlbilling.io.reader import read_book
from xlbilling.jobs import close_workbook, post_workbook
from xlbilling.schema import DISCREPANCIES

from .books import write_book

TIME = [["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"],
        ["T1", "2026-10-02", "Ann", "1001", "AGR-1", "Remote", 2, "Y"],
        ["T2", "2026-10-02", "Ann", "1001", "AGR-1", "Remote", 2, "Y"]]  # the same work typed twice
RESOLUTION = [c.name for c in DISCREPANCIES.columns].index("resolution")


def book(tmp_path, time=TIME, name="b.xlsx"):
    return write_book(tmp_path / name, {
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 1000]],
        "Timesheets": time, "RateCard": [["Work Type", "Rate"], ["Remote", 150]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]})


def rows(path, sheet):
    return python_calamine.load_workbook(path).get_sheet_by_name(sheet).to_python()


def resolve(path, code, value):
    """What a billing specialist does: type a resolution into the finding's row."""
    for n, row in enumerate(rows(path, "Discrepancies")[1:], start=2):
        if row[3] == code:
            path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("Discrepancies", RESOLUTION, "", {n: value})]))
            return row[0]
    raise AssertionError(f"no {code} finding")


def sort_tab_backwards(path):
    """Staff sort the tab: the rows come back in another order."""
    found = read_book(path).book.discrepancies
    records = [tuple(r)[:-1] for r in reversed(found)]
    path.write_bytes(write_tabs(path.read_bytes(), [Tab("Discrepancies", spec_columns(DISCREPANCIES), records)]))


def test_an_error_holds_the_draft_until_approved_then_it_posts(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 11, 1))
    assert rows(path, "InvoiceRegister")[1][2] == "on_hold"
    assert post_workbook(path, date(2026, 11, 1)).data["posted"] == []
    ident = resolve(path, "TIME_DUPLICATE", "approve")
    sort_tab_backwards(path)
    close_workbook(path, date(2026, 11, 1))
    kept = {r[0]: r[RESOLUTION] for r in rows(path, "Discrepancies")[1:]}
    assert kept[ident] == "approve"
    assert rows(path, "InvoiceRegister")[1][2] == "draft"
    assert post_workbook(path, date(2026, 11, 1)).data["posted"] == ["INV-1001"]
    time_line = [r for r in rows(path, "InvoiceLines")[1:] if r[4] == "time"]
    assert time_line[0][9] == 4.0  # both entries billed: approved as real work


def test_an_excluded_item_is_billed_nothing_and_stays_excluded(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 11, 1))
    ident = resolve(path, "TIME_DUPLICATE", "exclude")
    for _ in range(2):
        close_workbook(path, date(2026, 11, 1))
        time_lines = [r for r in rows(path, "InvoiceLines")[1:] if r[4] == "time"]
        assert [(r[9], r[15]) for r in time_lines] == [(2.0, "T1")]
        assert {r[0]: r[RESOLUTION] for r in rows(path, "Discrepancies")[1:]}[ident] == "exclude"
    post_workbook(path, date(2026, 11, 1))
    assert [r[-1] for r in rows(path, "Timesheets")[1:]] == ["INV-1001", ""]


def test_findings_that_no_longer_occur_are_kept_as_resolved(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 11, 1))
    previous = read_book(path).book.discrepancies
    [dup] = [r for r in previous if r.code == "TIME_DUPLICATE"]
    fixed = book(tmp_path, TIME[:2], "fixed.xlsx")  # the duplicate deleted from the Timesheets sheet
    carried = Tab("Discrepancies", spec_columns(DISCREPANCIES), [tuple(r)[:-1] for r in previous])
    fixed.write_bytes(write_tabs(fixed.read_bytes(), [carried]))
    close_workbook(fixed, date(2026, 11, 1))
    [kept] = [r for r in rows(fixed, "Discrepancies")[1:] if r[0] == dup.discrepancy_id]
    assert kept[1] == "resolved" and kept[3] == "TIME_DUPLICATE"


def test_each_finding_links_to_its_cell_and_errors_are_coloured(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 11, 1))
    ws = openpyxl.load_workbook(path)["Discrepancies"]
    header = [c.value for c in ws[1]]
    cell = header.index("Cell") + 1
    first = ws.cell(2, cell)
    assert first.value == "Timesheets!A3" and first.hyperlink.location == "Timesheets!A3"
    assert ws.cell(2, 3).value == "error" and ws.cell(2, 1).fill.fgColor.rgb == "FFFFC7CE"
    assert ws.auto_filter.ref.startswith("A1:")


def test_each_column_of_a_finding_row_holds_its_field(tmp_path):
    """Every field of a Discrepancies row, read back by its column's name: the finding's, and what staff
    typed (resolution, note) kept with its first-seen day."""
    path = book(tmp_path)
    close_workbook(path, date(2026, 11, 1))
    ident = resolve(path, "TIME_DUPLICATE", "approve")
    note = [c.name for c in DISCREPANCIES.columns].index("note")
    at = next(n for n, r in enumerate(rows(path, "Discrepancies")[1:], start=2) if r[0] == ident)
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("Discrepancies", note, "", {at: "same ticket"})]))
    close_workbook(path, date(2026, 11, 1))
    found = next(r for r in read_book(path).book.discrepancies if r.discrepancy_id == ident)
    assert found._asdict() | {"row": 0} == {
        "discrepancy_id": ident, "status": "open", "severity": "error", "code": "TIME_DUPLICATE",
        "cell": "Timesheets!A3", "customer_id": "1001", "contract_id": "AGR-1",
        "message": "entry T2 repeats entry T1 (same technician, date, ticket, work type and hours)",
        "found": '"T2"', "expected": "work entered once (Timesheets!A2 has it)", "amount": found.amount,
        "suggested_action": found.suggested_action, "resolution": "approve", "note": "same ticket",
        "first_seen": date.today(), "last_seen": date.today(), "row": 0}
    assert found.amount == 300 and found.suggested_action
