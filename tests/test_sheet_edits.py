"""An import's edits to an input sheet (io/sheet_edits.py), written into a real workbook and read back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl

from tests.books import write_book
from xlbilling.io.package import write_tabs
from xlbilling.io.reader import read_book
from xlbilling.io.sheet_edits import SheetEdits

COUNTS = [["Customer ID", "Vendor SKU", "Quantity", "As Of"],
          ["1001", "M365-BP", 10, date(2026, 10, 1)],
          ["1002", "M365-BP", 4, date(2026, 10, 1)]]


def _written(path, edits: SheetEdits):
    cells, tabs = edits.written()
    path.write_bytes(write_tabs(path.read_bytes(), tabs, cells))
    return [list(r) for r in openpyxl.load_workbook(path)["VendorCounts"].iter_rows(values_only=True)]


def test_cells_set_in_place_and_rows_added_below_the_last_one(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"VendorCounts": COUNTS})
    book = read_book(path).book
    edits = SheetEdits(book, "VendorCounts")
    edits.set(book.vendor_counts[1], "quantity", Decimal(6))
    edits.add({"customer_id": "1001", "vendor_sku": "AV-1", "quantity": Decimal(3), "as_of": date(2026, 11, 1)})
    rows = _written(path, edits)
    assert rows[0] == ["Customer ID", "Vendor SKU", "Quantity", "As Of"]  # nothing filled a missing column
    assert rows[2][2] == 6 and rows[1][2] == 10
    assert rows[3][:3] == ["1001", "AV-1", 3] and str(rows[3][3])[:10] == "2026-11-01"
    assert [c.quantity for c in read_book(path).book.vendor_counts] == [10, 6, 3]


def test_a_missing_column_is_added_at_the_right_once_an_edit_fills_it(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"VendorCounts": COUNTS})
    book = read_book(path).book
    edits = SheetEdits(book, "VendorCounts")
    edits.set(book.vendor_counts[0], "source", "partner-center.csv")  # a column the sheet does not have
    edits.set(book.vendor_counts[1], "vendor", "")  # blank into a missing column: no column for it
    rows = _written(path, edits)
    assert rows[0] == ["Customer ID", "Vendor SKU", "Quantity", "As Of", "Source"]
    assert rows[1][4] == "partner-center.csv" and rows[2][4] is None
    assert read_book(path).book.vendor_counts[0].source == "partner-center.csv"


def test_a_sheet_the_workbook_lacks_is_added_whole_and_no_edit_writes_nothing(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {})
    book = read_book(path).book
    assert SheetEdits(book, "VendorCounts").written() == ([], [])
    edits = SheetEdits(book, "VendorCounts")
    edits.add({"customer_id": "1002", "vendor_sku": "M365-E3", "quantity": Decimal(2), "as_of": date(2026, 11, 1),
               "vendor": None})
    cells, tabs = edits.written()
    assert cells == [] and [t.name for t in tabs] == ["VendorCounts"]
    path.write_bytes(write_tabs(path.read_bytes(), tabs, cells))
    (count,) = read_book(path).book.vendor_counts
    assert (count.customer_id, count.vendor_sku, count.quantity, count.as_of, count.vendor) == \
        ("1002", "M365-E3", 2, date(2026, 11, 1), None)
