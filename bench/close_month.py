"""Benchmark: `close` on a large provider's month vs fastexcel's bare read of the same workbook.

    python bench/close_month.py [CONTRACTS] [ENTRIES] [REPEATS]   (default 10,000, 1,000,000 and 3)

Targets: close (read, validate, bill, write back) at most 2.0x the bare read of every sheet;
peak memory at most 2 GB. The workbook is generated once into bench/out/ and copied per run; the
two are timed alternately and the best time of each is compared.
"""

from __future__ import annotations

import random
import resource
import shutil
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import fastexcel
import xlsxwriter

from xlbilling.jobs import close_workbook
from xlbilling.schema import SHEET_BY_NAME

OUT = Path(__file__).parent / "out"
WORK = ["Remote Support", "Onsite Support", "Project Engineering", "After Hours Emergency"]


def _sheet(wb, name, rows):
    ws = wb.add_worksheet(name)
    ws.write_row(0, 0, [c.title for c in SHEET_BY_NAME[name].columns])
    return ws


def generate(contracts: int, entries: int) -> Path:
    path = OUT / f"month-v2-{contracts}-{entries}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = random.Random(7)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    customers = max(contracts // 3, 1)
    technicians = max(entries // 150, 1)  # about 150 entries a month each, a few hours a day
    ws = _sheet(wb, "Customers", customers)
    for i in range(customers):
        ws.write_row(i + 1, 0, [str(10000 + i), f"Customer {i}", f"ap{i}@example.com", None, "NET30", "TX"])
    ws = _sheet(wb, "Contracts", contracts)
    for i in range(contracts):
        start = datetime(2024, 1, 1) + timedelta(days=rng.randrange(900))
        freq = rng.choice(["monthly"] * 6 + ["quarterly", "annual"])
        ws.write_row(i + 1, 0, [f"C{i}", str(10000 + i % customers), f"Agreement {i}", "managed_services"])
        ws.write_datetime(i + 1, 4, start, dates)
        ws.write_row(i + 1, 6, [freq, rng.choice(["advance", "advance", "arrears"]), "daily",
                                rng.choice([0, 0, 0.03])])
        if i % 5 == 0:
            ws.write_row(i + 1, 10, [10, 150])
        if i % 7 == 0:
            ws.write_number(i + 1, 12, 50000)
        ws.write_datetime(i + 1, 17, datetime(2026, 9, 30), dates)  # billed through
    ws = _sheet(wb, "ContractLines", contracts * 2)
    for i in range(contracts * 2):
        ws.write_row(i + 1, 0, [f"L{i}", f"C{i // 2}", "Managed seats", "per_unit", rng.randint(5, 80),
                                rng.choice([45, 95, 120.5])])
    ws = _sheet(wb, "RateCard", 4)
    for i, w in enumerate(WORK):
        ws.write_row(i + 1, 0, [None, w, 140 + 20 * i])
    ws = _sheet(wb, "TaxRates", 1)
    ws.write_row(1, 0, ["TX", "services", 0.0825])
    ws = _sheet(wb, "Timesheets", entries)
    start = datetime(2026, 10, 1)
    for r in range(1, entries + 1):
        k = rng.randrange(contracts)
        ws.write_string(r, 0, f"TE{r:07d}")
        ws.write_datetime(r, 1, start + timedelta(days=rng.randrange(31)), dates)
        ws.write_string(r, 2, f"Technician {rng.randrange(technicians)}")
        ws.write_string(r, 3, str(10000 + k % customers))
        ws.write_string(r, 4, f"C{k}")
        ws.write_number(r, 5, 500000 + r)
        ws.write_string(r, 6, rng.choice(WORK))
        ws.write_number(r, 7, rng.choice([0.25, 0.5, 1, 1.5, 2]))
        ws.write_string(r, 8, "Y")
        ws.write_string(r, 9, "Y")
    wb.close()
    return path


def bare_read(path: Path) -> float:
    t = time.perf_counter()
    reader = fastexcel.read_excel(str(path))
    for name in reader.sheet_names:
        reader.load_sheet_by_name(name).to_arrow()
    return time.perf_counter() - t


def main() -> None:
    contracts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    entries = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    source = generate(contracts, entries)
    run = OUT / "close-run.xlsx"
    bare, ours = [], []
    for _ in range(repeats):  # alternate the two; a shared machine varies by 20% from run to run
        bare.append(bare_read(source))
        shutil.copy(source, run)
        t = time.perf_counter()
        result = close_workbook(run, date(2026, 11, 1))
        ours.append(time.perf_counter() - t)
        assert result.ok, result.errors[:5]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{contracts:,} contracts, {entries:,} time entries ({result.summary[0]})")
    print(f"  fastexcel bare read: best {min(bare):.2f} s of {', '.join(f'{b:.2f}' for b in bare)}")
    print(f"  close:               best {min(ours):.2f} s of {', '.join(f'{o:.2f}' for o in ours)}")
    pairs = sorted(o / b for o, b in zip(ours, bare))
    print(f"  ratio {min(ours) / min(bare):.2f}x best to best, {pairs[len(pairs) // 2]:.2f}x median of the pairs "
          f"(target <= 2.0x); peak memory {peak_mb:,.0f} MB (target <= 2,048 MB)")


if __name__ == "__main__":
    main()
