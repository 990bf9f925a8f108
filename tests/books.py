"""Build small master workbooks inline for tests: a few rows per sheet, written as a real .xlsx."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

CUSTOMERS = [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction"],
             ["1001", "Acme Dental", "ap@acme.example.com", "TX"],
             [1002, "Birch Law", "ap@birch.example.com", "TX"]]
CONTRACTS = [["Contract ID", "Customer ID", "Start Date", "Billing Frequency"],
             ["AGR-1", "1001", date(2026, 1, 1), "Monthly"],
             ["AGR-2", 1002, "2026-02-01", "quarterly"]]


def write_book(path: Path, sheets: dict[str, list[list]], base: bool = True) -> Path:
    """Write the given sheets (first row = headers); `base` adds valid Customers and Contracts unless given."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    all_sheets = {"Customers": CUSTOMERS, "Contracts": CONTRACTS} if base else {}
    all_sheets.update(sheets)
    for name, rows in all_sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path
