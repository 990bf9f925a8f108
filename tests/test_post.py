"""post: gapless numbers, invoice numbers into billed time and charges, posted invoices never change."""

from datetime import date
from decimal import Decimal as D

import python_calamine

from xlbilling.cli import main
from xlbilling.jobs import close_workbook, post_workbook, validate

from .books import write_book

LINES = [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed services", 1500],
         ["L2", "AGR-2", "Backup", 300]]
TIME = [["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved", "Invoice Number"],
        ["T1", "2026-03-02", "Ann", "1001", "AGR-1", "Remote", 2, "Y", None],
        ["T2", "2026-03-03", "Ann", "1001", "AGR-1", "Remote", 1, "N", None],
        ["T3", "2026-04-02", "Ann", "1001", "AGR-1", "Remote", 1, "Y", None]]
CHARGES = [["Charge ID", "Date", "Customer ID", "Kind", "Description", "Unit Price"],
           ["CH1", "2026-03-15", "1002", "hardware", "Laptop", 1299]]
SETTINGS = [["Setting", "Value"], ["invoice_prefix", "NS-"], ["next_invoice_number", 500]]
TAXES = [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0.0825], ["TX", "hardware", 0.0825]]


def book(tmp_path):
    return write_book(tmp_path / "b.xlsx", {"ContractLines": LINES, "Timesheets": TIME, "Charges": CHARGES,
                                            "RateCard": [["Work Type", "Rate"], ["Remote", 150]], "Settings": SETTINGS,
                                            "TaxRates": TAXES})


def sheet(path, name):
    return python_calamine.load_workbook(path).get_sheet_by_name(name).to_python()


def test_post_numbers_drafts_and_marks_what_it_billed(tmp_path):
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    result = post_workbook(path, date(2026, 4, 2))
    assert result.ok and result.data["posted"] == ["NS-500", "NS-501"]
    register = sheet(path, "InvoiceRegister")
    assert [(r[0], r[2], r[3]) for r in register[1:]] == [("NS-500", "posted", "1001"), ("NS-501", "posted", "1002")]
    time = sheet(path, "Timesheets")
    assert [r[8] for r in time[1:]] == ["NS-500", "", ""]  # T2 is unapproved, T3 after the cutoff
    charges = sheet(path, "Charges")
    assert charges[0][-1] == "Invoice Number" and charges[1][-1] == "NS-501"  # column added: it was missing
    assert "Nothing to post" in post_workbook(path).summary[0]


def test_the_next_close_bills_only_what_is_new_and_numbers_continue(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    close_workbook(path, date(2026, 5, 1))
    lines = sheet(path, "InvoiceLines")
    drafts = [r for r in lines[1:] if not r[0]]
    assert sorted((r[5], r[7]) for r in drafts) == [("AGR-1/Remote/150", date(2026, 4, 2)),
                                                    ("L1", date(2026, 5, 1)), ("L2", date(2026, 5, 1))]
    assert post_workbook(path, date(2026, 5, 1)).data["posted"] == ["NS-502", "NS-503"]


def test_close_again_without_changes_gives_the_same_drafts(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    first = sheet(path, "InvoiceLines")
    close_workbook(path, date(2026, 4, 1))
    assert sheet(path, "InvoiceLines") == first


def test_post_refuses_when_the_workbook_changed_since_the_close(tmp_path, capsys):
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    changed = write_book(tmp_path / "c.xlsx", {
        "ContractLines": LINES[:2] + [["L2", "AGR-2", "Backup", 350]], "Timesheets": TIME, "Charges": CHARGES,
        "RateCard": [["Work Type", "Rate"], ["Remote", 150]], "Settings": SETTINGS, "TaxRates": TAXES})
    # the drafts of the first book, the inputs of the second
    from xlbilling.core.register import lines_tab, register_tab
    from xlbilling.io.package import write_tabs
    from xlbilling.io.reader import read_book
    old = read_book(path).book
    changed.write_bytes(write_tabs(changed.read_bytes(), [register_tab(old.register), lines_tab(old.invoice_lines)]))
    before = changed.read_bytes()
    assert main(["post", str(changed)]) == 1
    out = capsys.readouterr().out
    assert "changed since the close" in out and "D-1002" in out and "D-1001" not in out.split("different drafts")[1]
    assert changed.read_bytes() == before
    [warning] = validate(changed).warnings  # validate says beforehand what post would refuse
    assert warning.where == "InvoiceRegister" and "changed since the close" in warning.message
    assert "D-1002" in warning.found and changed.read_bytes() == before


def test_a_hand_edited_posted_invoice_is_reported(tmp_path):
    path = book(tmp_path)
    close_workbook(path, date(2026, 4, 1))
    post_workbook(path, date(2026, 4, 1))
    from xlbilling.io.package import CellEdit, write_tabs
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("InvoiceRegister", 12, "", {2: "99.00"})]))
    result = validate(path)
    [warning] = result.warnings
    assert warning.code == "POSTED_INVOICE_CHANGED" and warning.where == "InvoiceRegister!M2"


def test_a_drafts_lines_carry_each_field_of_its_items(tmp_path):
    from xlbilling.core.close import close
    from xlbilling.core.items import Billed
    from xlbilling.core.posting import draft_rows
    from xlbilling.io.reader import read_book

    loaded = read_book(book(tmp_path))
    drafts = close(loaded.book, date(2026, 4, 1), None, Billed()).drafts
    assert drafts
    for draft in drafts:
        header, rows = draft_rows(draft, date(2026, 3, 31), "NS-9")
        assert header.lines == len(rows) == len(draft.lines)
        for row, ln in zip(rows, draft.lines):
            it = ln.item
            assert row._asdict() == {
                "invoice_number": "NS-9", "draft_id": draft.draft_id, "line_no": ln.line_no,
                "contract_id": it.contract_id, "source_type": it.source_type, "source_id": it.source_id,
                "description": it.description, "service_start": it.service_start, "service_end": it.service_end,
                "quantity": it.quantity, "unit_price": it.unit_price, "amount": it.amount,
                "tax_category": it.tax_category, "tax_rate": ln.tax_rate, "source_cell": it.where,
                "entry_ids": " ".join(it.entry_ids) or None, "revenue_account": it.revenue_account, "row": 0}
    assert any(row.entry_ids for d in drafts for row in draft_rows(d, date(2026, 3, 31))[1])


def _unsealed(path):
    """The workbook as another tool would save the same cells: without the seals this tool keeps."""
    from xlbilling.io.package import rewrite_parts
    from xlbilling.io.seals import without_seals
    path.write_bytes(rewrite_parts(path.read_bytes(), {
        "xl/workbook.xml": lambda xml: without_seals(xml.decode(), ["InvoiceLines"]).encode()}))


def test_post_trusts_invoice_lines_as_the_close_wrote_them_else_reads_them_while_posting(tmp_path, monkeypatch):
    """InvoiceLines (a closed book's largest sheet: every draft line) as the close wrote it (sealed) is not
    read at all: its drafts are the close's, and post makes the same lines again. Unsealed, it loads while
    the drafts are checked and posted, and is checked once it is in. The workbook comes out the same."""
    import time
    from xlbilling import jobs
    from xlbilling.io import reader
    fast = book(tmp_path)
    assert close_workbook(fast, date(2026, 4, 1)).ok
    slow = tmp_path / "slow.xlsx"
    slow.write_bytes(fast.read_bytes())
    _unsealed(slow)
    load, post, events = reader._load_file_sheet, jobs.post, []

    def slow_lines(xl, pkg, name, part, spec, path):
        if name == "InvoiceLines":
            time.sleep(0.5)
            events.append("invoice lines loaded")
        return load(xl, pkg, name, part, spec, path)

    def posting(*args, **kw):
        events.append("posted")
        return post(*args, **kw)

    monkeypatch.setattr(reader, "_load_file_sheet", slow_lines)
    monkeypatch.setattr(jobs, "post", posting)
    assert post_workbook(fast, date(2026, 4, 2)).ok
    assert events == ["posted"]
    events.clear()
    assert post_workbook(slow, date(2026, 4, 2)).ok
    assert events == ["posted", "invoice lines loaded"]
    names = python_calamine.load_workbook(fast).sheet_names
    assert names == python_calamine.load_workbook(slow).sheet_names
    for name in names:
        if name != "RunLog":  # which holds the time of each run
            assert sheet(fast, name) == sheet(slow, name), name


def test_post_reads_a_sealed_invoice_lines_when_the_inputs_changed_since_the_close(tmp_path, capsys):
    """A seal vouches for the sheet, not for the inputs: a contract line's description changed after the
    close (the same totals and lines) makes lines other than the sealed ones, so the sheet is read and
    its draft line found to differ from what post would issue."""
    from xlbilling.io.package import CellEdit, write_tabs
    from xlbilling.io.reader import read_book
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    columns = read_book(path).book.columns["ContractLines"]
    path.write_bytes(write_tabs(path.read_bytes(), [], [
        CellEdit("ContractLines", columns["description"], "", {3: "Backup (offsite)"})]))
    before = path.read_bytes()
    assert main(["post", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Nothing was posted: 1 cell(s) of drafts on InvoiceLines differ from the close" in out
    assert 'found "Backup"; expected "Backup (offsite)"' in out
    assert path.read_bytes() == before


def test_post_refuses_with_every_input_error_when_invoice_lines_has_one(tmp_path, capsys):
    """An error on InvoiceLines, read while posting, refuses the post as any other (nothing written),
    and together with the errors of the other sheets."""
    from xlbilling.io.package import CellEdit, write_tabs
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("InvoiceLines", 11, "", {2: "lots"})]))
    before = path.read_bytes()
    assert main(["post", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 input error(s)" in out and "InvoiceLines!L2" in out and "lots" in out
    assert path.read_bytes() == before
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("ContractLines", 3, "", {2: "cheap"})]))
    before = path.read_bytes()
    assert main(["post", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 input error(s)" in out and "InvoiceLines!L2" in out and "ContractLines!D2" in out
    assert path.read_bytes() == before


def _draft_lines(path):
    from xlbilling.io.reader import read_book
    loaded = read_book(path).book
    return loaded, [ln for ln in loaded.invoice_lines if not ln.invoice_number]


def test_post_refuses_drafts_edited_on_invoice_lines_naming_each_cell(tmp_path, capsys):
    """A hand edit of a draft line (its description, its amount) is not what post would issue (it makes
    the invoices from the inputs): post refuses, naming each edited cell, its value and the closed one,
    and writes nothing; a number written again as the same number is no edit."""
    from decimal import Decimal
    from xlbilling.io.package import CellEdit, write_tabs
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    loaded, drafts = _draft_lines(path)
    first, second = drafts[0], drafts[1]
    columns = loaded.columns["InvoiceLines"]
    same_price = CellEdit("InvoiceLines", columns["unit_price"], "", {first.row: first.unit_price + Decimal("0.000")})
    path.write_bytes(write_tabs(path.read_bytes(), [], [same_price]))
    untouched = path.read_bytes()
    path.write_bytes(write_tabs(untouched, [], [
        CellEdit("InvoiceLines", columns["description"], "", {first.row: "Managed services (as agreed)"}),
        CellEdit("InvoiceLines", columns["amount"], "", {second.row: Decimal("1.00")})]))
    before = path.read_bytes()
    assert main(["post", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Nothing was posted: 2 cell(s) of drafts on InvoiceLines differ from the close" in out
    assert f"{loaded.cell(first, 'description')}: line {first.line_no} of draft {first.draft_id} was edited" in out
    assert f'found "Managed services (as agreed)"; expected "{first.description}", as closed' in out
    assert f"{loaded.cell(second, 'amount')}:" in out and f"found 1; expected {second.amount:.2f}, as closed" in out
    assert path.read_bytes() == before
    checked = validate(path)  # validate names the same cells, and writes nothing either
    assert [w.where for w in checked.warnings] == [loaded.cell(first, "description"), loaded.cell(second, "amount")]
    assert any("post would refuse the drafts" in line for line in checked.summary) and path.read_bytes() == before
    path.write_bytes(untouched)
    assert validate(path).warnings == []
    assert post_workbook(path, date(2026, 4, 2)).ok


def test_post_refuses_draft_lines_deleted_or_added_on_invoice_lines(tmp_path, capsys):
    from xlbilling.core.register import lines_tab
    from xlbilling.io.package import write_tabs
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    loaded, drafts = _draft_lines(path)
    gone, copied = drafts[0], drafts[-1]
    rows = [ln for ln in loaded.invoice_lines if ln != gone] + [copied]
    path.write_bytes(write_tabs(path.read_bytes(), [lines_tab(rows)]))
    before = path.read_bytes()
    assert main(["post", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"line {gone.line_no} of draft {gone.draft_id} was deleted from InvoiceLines" in out
    assert f"is line {copied.line_no} of draft {copied.draft_id}, which the close did not make" in out
    assert path.read_bytes() == before


def test_billing_schedule_is_left_as_it_is_while_the_schedule_is_the_same(tmp_path, monkeypatch):
    """Post bills what the close drafted, so the months ahead are the same: BillingSchedule, sealed by
    its schedule's digest, is left as the close wrote it (not made nor written again). A changed price
    changes the schedule, and the next close writes the tab again with it."""
    from xlbilling import jobs
    from xlbilling.io.package import CellEdit, Package, write_tabs
    from xlbilling.io.reader import read_book
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    part = Package(path.read_bytes()).sheet("BillingSchedule").part
    closed = Package(path.read_bytes()).info(part).CRC
    made, schedule_tab = [], jobs.schedule_tab
    monkeypatch.setattr(jobs, "schedule_tab", lambda *a: made.append(1) or schedule_tab(*a))
    assert post_workbook(path, date(2026, 4, 2)).ok
    assert made == [] and Package(path.read_bytes()).info(part).CRC == closed
    assert "BillingSchedule" in Package(path.read_bytes()).seals()
    columns = read_book(path).book.columns["ContractLines"]
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("ContractLines", columns["unit_price"], "",
                                                                   {3: D("350")})]))
    assert close_workbook(path, date(2026, 5, 1)).ok
    assert made == [1]
    rows = sheet(path, "BillingSchedule")
    assert [r[2] for r in rows[1:]] == ["L1", "L2"] and rows[2][-1] == 4 * 350  # quarterly
