"""Benchmark: reading a large Timesheets sheet into typed, validated columns vs fastexcel's bare read.

    python bench/read_timesheets.py [ROWS] [REPEATS]   (default 1,000,000 rows, 3 repeats; target <= 1.5x)

The workbook is generated once into bench/out/ and reused. The two reads alternate and the best
time of each is compared, since a single run on a shared machine varies by 20% or more.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import fastexcel
import xlsxwriter

from xlbilling.io.reader import read_book
from xlbilling.schema import SHEET_BY_NAME

OUT = Path(__file__).parent / "out"


def generate(rows: int) -> Path:
    path = OUT / f"timesheets-{rows}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = random.Random(1)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    customers = wb.add_worksheet("Customers")
    customers.write_row(0, 0, ["Customer ID", "Name"])
    contracts = wb.add_worksheet("Contracts")
    contracts.write_row(0, 0, ["Contract ID", "Customer ID", "Start Date"])
    for i in range(400):
        customers.write_row(i + 1, 0, [str(1000 + i), f"Customer {i}"])
    for i in range(1000):
        contracts.write_row(i + 1, 0, [f"AGR-{i}", str(1000 + i % 400), "2026-01-01"])
    ws = wb.add_worksheet("Timesheets")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, [c.title for c in SHEET_BY_NAME["Timesheets"].columns])
    start = datetime(2026, 8, 1)
    for r in range(1, rows + 1):
        k = rng.randrange(1000)
        ws.write_string(r, 0, f"TE{r:07d}")
        ws.write_datetime(r, 1, start + timedelta(days=rng.randrange(92)), dates)
        ws.write_string(r, 2, f"Technician {rng.randrange(60)}")
        ws.write_string(r, 3, str(1000 + k % 400))
        ws.write_string(r, 4, f"AGR-{k}")
        ws.write_number(r, 5, 50000 + r)
        ws.write_string(r, 6, rng.choice(["Remote Support", "Onsite Support", "Project Engineering"]))
        ws.write_number(r, 7, rng.choice([0.25, 0.5, 1, 1.5, 2, 3.75]))
        ws.write_string(r, 8, "Y")
        ws.write_string(r, 9, "Y")
        ws.write_string(r, 10, rng.choice(["Reset password", "Patched servers", "Printer issue"]))
    wb.close()
    return path


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    path = generate(rows)
    bare = ours = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fastexcel.read_excel(str(path)).load_sheet_by_name("Timesheets").to_arrow()
        bare = min(bare, time.perf_counter() - t)
        t = time.perf_counter()
        result = read_book(path)
        ours = min(ours, time.perf_counter() - t)
        assert result.ok, result.errors[:5]
    print(f"{rows:,} time entries, best of {repeats}: fastexcel bare read {bare:.2f} s; "
          f"typed columns with validation {ours:.2f} s; "
          f"ratio {ours / bare:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
