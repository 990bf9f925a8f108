"""Seat reconciliation end to end: vendors' licence exports imported into VendorCounts (each shape we
ship, remembered columns and aliases, bad rows), the two seat rules with their amounts, and the
Reconciliation tab's totals, on real workbooks."""

import csv
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import python_calamine

from xlbilling.cli import main
from xlbilling.core.vendor_files import parse_day
from xlbilling.import_counts import import_counts
from xlbilling.io.reader import read_book
from xlbilling.jobs import close_workbook

from .books import write_book

M365 = "CFQ7TTC0LH18"
LINES = [["Line ID", "Contract ID", "Description", "Kind", "Quantity", "Unit Price", "Vendor SKU"],
         ["L1", "AGR-1", "Microsoft 365 Business Premium", "per_unit", 25, 22.5, M365],  # monthly
         ["L2", "AGR-2", "Server backup", "per_unit", 5, 40, "P8-BKP"]]  # quarterly
TAX = [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]


def book(tmp_path, counts=None, name="b.xlsx"):
    sheets = {"ContractLines": LINES, "TaxRates": TAX}
    if counts:
        sheets["VendorCounts"] = [["Customer ID", "Vendor SKU", "Quantity", "As Of", "Vendor"], *counts]
    return write_book(tmp_path / name, sheets)


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def counts_of(path):
    return sorted((c.customer_id, c.vendor_sku, c.quantity, c.as_of, c.vendor) for c in read_book(path).book.vendor_counts)


def sheet(path, name):
    return python_calamine.load_workbook(path).get_sheet_by_name(name).to_python()


def microsoft365_export(path, acme_seats=(30, 7), birch="Birch Law LLP"):
    """Partner Center's subscription export: one row per subscription (Acme holds the offer twice)."""
    head = ["Customer Name", "Customer Domain Name", "Subscription Id", "Offer Name", "Offer Id", "Quantity", "Status"]
    rows = [head] + [["Acme Dental", "acme.onmicrosoft.com", f"sub-{k}", "Microsoft 365 Business Premium", M365,
                      str(n), "Active"] for k, n in enumerate(acme_seats)]
    rows.append([birch, "birchlaw.onmicrosoft.com", "sub-9", "Exchange Online (Plan 1)", "CFQ7TTC0LH16", "4",
                 "Suspended"])
    return write_csv(path, rows)


def pax8_export(path):
    """Pax8's subscription export, as an .xlsx."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Company Name", "Product Name", "SKU", "Quantity", "Status", "Billing Term"],
                ["Birch Law", "Server backup", "P8-BKP", 2, "Active", "Monthly"],
                ["acme  DENTAL", "Email security", "P8-EMAIL-SEC", 10, "Active", "Annual"],
                ["Birch Law", "Endpoint backup", "P8-EPB", 6, "Cancelled", "Monthly"]):
        ws.append(row)
    wb.save(path)
    return path


def test_a_microsoft_365_export_is_read_by_its_shape_adding_subscriptions_and_naming_unknown_customers(tmp_path,
                                                                                                     capsys):
    path, file = book(tmp_path), microsoft365_export(tmp_path / "subscriptions.csv")
    assert main(["import", "counts", str(path), str(file), "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "columns as for Microsoft 365" in out and '"Birch Law LLP" (row 4)' in out and "--alias" in out
    assert counts_of(path) == [("1001", M365, Decimal(37), date(2026, 10, 31), "Microsoft 365")]
    # The alias given once is remembered: the next month's file maps the name without it.
    assert main(["import", "counts", str(path), str(file), "--as-of", "2026-10-31",
                 "--alias", "Birch Law LLP=1002"]) == 0
    next_month = microsoft365_export(tmp_path / "december.csv", acme_seats=(40,))
    assert main(["import", "counts", str(path), str(next_month), "--as-of", "2026-11-30"]) == 0
    assert "match no customer" not in capsys.readouterr().out
    assert counts_of(path) == [
        ("1001", M365, Decimal(37), date(2026, 10, 31), "Microsoft 365"),
        ("1001", M365, Decimal(40), date(2026, 11, 30), "Microsoft 365"),
        ("1002", "CFQ7TTC0LH16", Decimal(0), date(2026, 10, 31), "Microsoft 365"),  # suspended: no seats
        ("1002", "CFQ7TTC0LH16", Decimal(0), date(2026, 11, 30), "Microsoft 365")]
    mappings = sheet(path, "VendorMappings")
    assert ["Microsoft 365", "alias", "Birch Law LLP", "1002"] in mappings
    assert ["Microsoft 365", "column", "sku", "Offer Id"] in mappings


def test_a_pax8_xlsx_export_maps_names_in_any_case_and_counts_cancelled_subscriptions_as_none(tmp_path):
    path = book(tmp_path)
    result = import_counts(path, pax8_export(tmp_path / "pax8.xlsx"), "pax8", as_of=date(2026, 10, 31))
    assert result.ok, result.errors
    assert counts_of(path) == [("1001", "P8-EMAIL-SEC", Decimal(10), date(2026, 10, 31), "Pax8"),
                               ("1002", "P8-BKP", Decimal(2), date(2026, 10, 31), "Pax8"),
                               ("1002", "P8-EPB", Decimal(0), date(2026, 10, 31), "Pax8")]
    [_, as_of] = openpyxl.load_workbook(path)["VendorCounts"]["D1:D2"]
    assert (as_of[0].value, as_of[0].number_format) == (datetime(2026, 10, 31), "yyyy-mm-dd")  # a date cell, not text
    assert any("not active (Cancelled 1): counted as no seats" in s for s in result.summary)
    before = path.read_bytes()
    again = import_counts(path, tmp_path / "pax8.xlsx", "Pax8", as_of=date(2026, 10, 31))
    assert again.ok and again.data["counts"] == {"added": 0, "updated": 0, "unchanged": 3}
    assert path.read_bytes() == before  # a re-run changes nothing, not even the run log


def test_a_generic_file_of_any_vendor_is_read_by_the_columns_given_once_and_remembered(tmp_path):
    path = book(tmp_path)
    rows = [["Client", "Device Type", "Devices", "Report Date"],
            ["1001", "RMM-WKS", "14", "11/30/2026"], ["Birch Law", "RMM-WKS", "6", "2026-11-30T08:00:00Z"]]
    columns = {"customer": "Client", "sku": "Device Type", "quantity": "Devices", "date": "Report Date"}
    assert import_counts(path, write_csv(tmp_path / "rmm.csv", rows), "Datto RMM", columns).ok
    rows[1:] = [["1001", "RMM-WKS", "15", "12/31/2026"]]
    later = import_counts(path, write_csv(tmp_path / "rmm-dec.csv", rows), "Datto RMM")  # no --columns now
    assert later.ok, later.errors
    assert counts_of(path) == [("1001", "RMM-WKS", Decimal(14), date(2026, 11, 30), "Datto RMM"),
                               ("1001", "RMM-WKS", Decimal(15), date(2026, 12, 31), "Datto RMM"),
                               ("1002", "RMM-WKS", Decimal(6), date(2026, 11, 30), "Datto RMM")]
    # Without a remembered mapping and with headers no shape knows, it says what to name.
    other = import_counts(path, write_csv(tmp_path / "x.csv", [["Tenant", "Plan", "N"], ["1001", "A", "1"]]), "Other")
    assert not other.ok and "name it with --columns customer=HEADER" in other.errors[0].message


def test_a_file_with_bad_rows_names_each_by_its_row_and_imports_nothing(tmp_path, capsys):
    path = book(tmp_path)
    file = write_csv(tmp_path / "bad.csv", [
        ["Customer", "SKU", "Quantity", "As Of"],
        ["1001", M365, "25", "2026-10-31"],
        ["1001", M365, "twelve", "2026-10-31"],
        ["1002", "", "3", "2026-10-31"],
        ["1002", "P8-BKP", "-2", "11/03/2026"],
        ["1001", "P8-X", "1", "2026-10-31"]])
    before = path.read_bytes()
    assert main(["import", "counts", str(path), str(file)]) == 1
    out = capsys.readouterr().out
    assert path.read_bytes() == before
    assert "3 row(s) cannot be read" in out and "nothing was imported" in out
    assert 'bad.csv row 3: the quantity cannot be read (found "twelve"; expected a number of seats)' in out
    assert "bad.csv row 4: the sku is blank" in out
    assert "bad.csv row 5: the quantity cannot be read" in out and "bad.csv row 5: the date cannot be read" in out
    assert "reads as two dates" in out
    assert "row 2" not in out and "row 6" not in out


def test_slashed_dates_are_read_only_where_they_cannot_be_mistaken():
    assert parse_day("11/30/2026") == parse_day("30/11/2026") == date(2026, 11, 30)
    assert parse_day("2026-11-30 17:45:00") == date(2026, 11, 30)
    for text in ("11/03/2026", "13/13/2026", "Nov 30"):
        try:
            parse_day(text)
        except ValueError:
            continue
        raise AssertionError(f"{text} was read as a date")


def findings(result, code):
    return [f for f in result.data["discrepancies"] if f["code"] == code]


def test_the_latest_count_on_or_before_the_invoice_date_wins_and_both_rules_say_what_is_at_stake(tmp_path):
    path = book(tmp_path, counts=[
        ["1001", M365, 20, "2026-10-15", "Microsoft"],
        ["1001", M365.lower(), 37, "2026-10-31", "Microsoft"],  # the latest on or before 2026-11-01
        ["1001", M365, 50, "2026-11-05", "Microsoft"],  # after the invoice date: not yet
        ["1002", " P8-BKP ", 2, "2026-10-31", "Pax8"],
        ["1001", "P8-EMAIL-SEC", 10, "2026-10-31", "Pax8"]])
    result = close_workbook(path, date(2026, 11, 1))
    assert result.ok, result.errors
    under, over = sorted(findings(result, "SEAT_COUNT_MISMATCH"), key=lambda f: f["where"])
    assert under["where"] == "ContractLines!E2" and under["amount"] == "270.00"  # 12 seats x 22.50 a month
    assert "bills customer 1001 for 25 of CFQ7TTC0LH18; Microsoft counted 37 on 2026-10-31" in under["message"]
    assert "12 seat(s) not billed: 270.00 a month of revenue lost" in under["message"]
    assert under["expected"] == "37 (Microsoft, 2026-10-31, VendorCounts!C3)"
    assert over["where"] == "ContractLines!E3" and over["amount"] == "120.00"  # 3 x 40.00 a quarter
    assert "3 seat(s) billed beyond the count: 120.00 a quarter a customer may dispute" in over["message"]
    (unbilled,) = findings(result, "VENDOR_COUNT_UNMATCHED")
    assert unbilled["where"] == "VendorCounts!B6" and "counts 10 of P8-EMAIL-SEC for customer 1001" in \
        unbilled["message"]
    assert any("2 mismatch(es); 270.00 a month recovered if fixed, 40.00 a month in credits at risk; 1 vendor "
               "count(s) nobody bills" in s for s in result.summary)
    tab = sheet(path, "Reconciliation")
    assert tab[1][:9] == ["Total", "as of 2026-11-01", "revenue recovered if fixed", "", "", "", "", 270.0,
                          "2 mismatch(es)"]
    assert tab[2][2] == "credits at risk" and tab[2][7] == 40.0 and tab[2][8] == "1 not billed"
    rows = {(r[0], r[2]): r for r in tab[3:]}
    assert rows[("1001", M365)][3:9] == [25.0, 37.0, rows[("1001", M365)][5], 12.0, 270.0, "under-billed"]
    assert rows[("1002", "P8-BKP")][6:9] == [-3.0, -40.0, "over-billed"]
    assert rows[("1001", "P8-EMAIL-SEC")][8] == "not billed"
    # Matched once the line follows the count: the rule has nothing more to say.
    fixed = book(tmp_path, counts=[["1001", M365, 25, "2026-10-31", "Microsoft"]], name="fixed.xlsx")
    again = close_workbook(fixed, date(2026, 11, 1))
    statuses = {(r[0], r[2]): r[8] for r in sheet(fixed, "Reconciliation")[3:]}
    assert not findings(again, "SEAT_COUNT_MISMATCH")
    assert statuses == {("1001", M365): "matched", ("1002", "P8-BKP"): "not in vendor data"}


def test_a_count_the_vendor_no_longer_lists_keeps_holding_unless_the_file_is_complete(tmp_path):
    path = book(tmp_path, counts=[["1002", "P8-BKP", 5, "2026-09-30", "Pax8"]])
    file = write_csv(tmp_path / "pax8.csv", [["Company Name", "SKU", "Quantity", "Status"],
                                             ["Acme Dental", "P8-EMAIL-SEC", "10", "Active"]])
    first = import_counts(path, file, "pax8", as_of=date(2026, 10, 31), dry_run=True)
    assert any("1 earlier count(s) of Pax8 are not in this file and still hold: 1002 P8-BKP" in s
               for s in first.summary)
    assert import_counts(path, file, "pax8", as_of=date(2026, 10, 31), complete=True).ok
    assert ("1002", "P8-BKP", Decimal(0), date(2026, 10, 31), "Pax8") in counts_of(path)


def test_the_manager_report_has_the_seat_summary_and_its_mismatches(tmp_path):
    from xlbilling.report_job import write_manager_report

    path = book(tmp_path, counts=[["1001", M365, 37, "2026-10-31", "Microsoft"],
                                  ["1002", "P8-BKP", 2, "2026-10-31", "Pax8"]])
    assert write_manager_report(path, tmp_path / "report.xlsx", date(2026, 11, 30)).ok
    rows = [r for r in sheet(tmp_path / "report.xlsx", "Seats") if any(v != "" for v in r)]
    cells = {r[0]: r for r in rows}
    assert cells["Under-billed: revenue recovered if fixed"][1:3] == [1.0, 270.0]
    assert cells["Over-billed: credits at risk"][1:3] == [1.0, 40.0]
    assert cells["Acme Dental · CFQ7TTC0LH18"][1:8] == ["1001", 25.0, 37.0, cells["Acme Dental · CFQ7TTC0LH18"][4],
                                                       12.0, 270.0, "under-billed"]


def test_the_samples_in_docs_seats_md_import_as_documented(tmp_path):
    import re
    from pathlib import Path
    docs = (Path(__file__).parent.parent / "docs" / "seats.md").read_text(encoding="utf-8")
    samples = dict(re.findall(r"```csv (\w+)\n(.*?)```", docs, re.S))
    assert set(samples) == {"microsoft365", "pax8", "generic"}
    expected = {"microsoft365": [("1001", M365, Decimal(37)), ("1002", "CFQ7TTC0LH16", Decimal(0))],
                "pax8": [("1001", "P8-EMAIL-SEC", Decimal(10)), ("1002", "P8-BKP", Decimal(2))],
                "generic": [("1001", "RMM-WKS", Decimal(14)), ("1002", "RMM-WKS", Decimal(6))]}
    for shape, text in samples.items():
        path = book(tmp_path, name=f"{shape}.xlsx")
        file = tmp_path / f"{shape}.csv"
        file.write_text(text, encoding="utf-8")
        assert import_counts(path, file, None if shape == "generic" else shape, as_of=date(2026, 11, 30)).ok
        assert [c[:3] for c in counts_of(path)] == expected[shape], shape
