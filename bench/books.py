"""Seeded benchmark workbooks of every shape a provider's book takes (issue 17), written with
xlsxwriter in constant memory, once per shape and size, into bench/out/.

- `running`: the month of a running provider: every contract billed through September 2026, October
  due on the 2026-11-01 close (the old bench book).
- `first`: a first close of a provider moving in without Billed Through: contracts started up to three
  years ago (monthly, quarterly, annual; advance and arrears; escalation; included hours), so the
  first close bills their whole catch-up.
- `small`: many small customers (5,000 customers with 2 contracts each), otherwise `running`.
- `large`: few large customers (50 customers with 200 contracts each), otherwise `running`.
- `typical`: a typical shop, 500 contracts (the size of the entries is given as for the others).
- `history`: the typical shop two years into using the tool: billed through October 2024, then closed
  and posted every month from November 2024 to October 2026 (24 months of posted invoices), its time
  entries spread from October 2024 to November 2026, one customer in four on 2/10 NET 30, and each
  customer's payment of about its monthly fees every month (the bench runs the 24 closes and posts once,
  when it generates the book). Each month's time is entered after the close before it, below the
  Timesheets' last row as an import enters it; October and November 2026 come in after the last post.

Time entries (but the history's) fall in October 2026 and, one in six, in November (billed by the
second month's close, 2026-12-01, after the first is posted). Columns are written by name from the
schema, so a new column in the data contract does not shift them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from xlbilling.schema import SHEET_BY_NAME

OUT = Path(__file__).parent / "out"
WORK = ["Remote Support", "Onsite Support", "Project Engineering", "After Hours Emergency"]
SHAPES = ("running", "first", "small", "large", "typical", "history")
SIZES = (20_000, 200_000, 1_048_575)
FIRST_CLOSE = datetime(2026, 11, 1)
SECOND_CLOSE = datetime(2026, 12, 1)
HISTORY_FROM = datetime(2024, 11, 1)  # the history shape's first close (24 months before FIRST_CLOSE)


def _customers_and_contracts(shape: str) -> tuple[int, int]:
    return {"small": (5_000, 10_000), "large": (50, 10_000), "typical": (170, 500), "history": (170, 500)
            }.get(shape, (3_334, 10_000))


class _Sheet:
    """Rows of one input sheet, each written by column name."""

    def __init__(self, wb, name: str, dates):
        self.ws, self.dates, self.row = wb.add_worksheet(name), dates, 0
        self.index = {c.name: k for k, c in enumerate(SHEET_BY_NAME[name].columns)}
        self.ws.write_row(0, 0, [c.title for c in SHEET_BY_NAME[name].columns])

    def add(self, **values) -> None:
        self.row += 1
        for name, value in values.items():
            if value is None:
                continue
            col = self.index[name]
            if isinstance(value, datetime):
                self.ws.write_datetime(self.row, col, value, self.dates)
            elif isinstance(value, str):
                self.ws.write_string(self.row, col, value)
            else:
                self.ws.write_number(self.row, col, value)


def path_of(shape: str, entries: int) -> Path:
    return OUT / f"{shape}-{entries}.xlsx"


def generate(shape: str, entries: int) -> Path:
    """The workbook of a shape and size (written the first time it is asked for)."""
    path = path_of(shape, entries)
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = random.Random(f"{shape}-{entries}")
    customers, contracts = _customers_and_contracts(shape)
    tmp = path.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = _Sheet(wb, "Customers", dates)
    for i in range(customers):
        terms = "2/10 NET 30" if shape == "history" and i % 4 == 0 else "NET30"  # some on early-payment terms
        ws.add(customer_id=str(10000 + i), name=f"Customer {i}", billing_email=f"ap{i}@example.com",
               payment_terms=terms, tax_jurisdiction="TX")
    ws = _Sheet(wb, "Contracts", dates)
    months_of = []  # each contract's months a period (for the history's payments)
    for i in range(contracts):
        if shape == "first":
            start = FIRST_CLOSE - timedelta(days=rng.randrange(3 * 365))
            freq = rng.choice(["monthly"] * 4 + ["quarterly", "annual"])
            through = None
        elif shape == "history":
            start = datetime(2022, 1, 1) + timedelta(days=rng.randrange(900))
            freq = rng.choice(["monthly"] * 6 + ["quarterly", "annual"])
            through = HISTORY_FROM - timedelta(days=1)
        else:
            start = datetime(2024, 1, 1) + timedelta(days=rng.randrange(900))
            freq = rng.choice(["monthly"] * 6 + ["quarterly", "annual"])
            through = datetime(2026, 9, 30)
        ws.add(contract_id=f"C{i}", customer_id=str(10000 + i % customers), name=f"Agreement {i}",
               type="managed_services", start_date=start, billing_frequency=freq,
               billing_timing=rng.choice(["advance", "advance", "arrears"]), proration="daily",
               escalation_pct=rng.choice([0, 0, 0.03]), included_hours=10 if i % 5 == 0 else None,
               overage_rate=150 if i % 5 == 0 else None, not_to_exceed=50000 if i % 7 == 0 else None,
               billed_through=through)
        months_of.append({"monthly": 1, "quarterly": 3, "annual": 12}[freq])
    ws = _Sheet(wb, "ContractLines", dates)
    monthly = [0.0] * customers  # what each customer is billed a month, about (for the history's payments)
    for i in range(contracts * 2):
        quantity, price = rng.randint(5, 80), rng.choice([45, 95, 120.5])
        ws.add(line_id=f"L{i}", contract_id=f"C{i // 2}", description="Managed seats", kind="per_unit",
               quantity=quantity, unit_price=price)
        monthly[i // 2 % customers] += quantity * price / months_of[i // 2]
    if shape == "history":
        ws = _Sheet(wb, "Payments", dates)
        for k in range(24):  # each customer pays about its month's bill in the month after
            month = datetime(2024 + (11 + k) // 12, (11 + k) % 12 + 1, 1)
            for c in range(customers):
                share = 0.8 if rng.randrange(12) == 0 else 1.0  # now and then short
                ws.add(payment_id=f"P{k:02d}{c:04d}", date=month + timedelta(days=rng.randrange(9, 25)),
                       customer_id=str(10000 + c), amount=round(monthly[c] * 1.0825 * share, 2), method="ACH")
    ws = _Sheet(wb, "RateCard", dates)
    for i, w in enumerate(WORK):
        ws.add(work_type=w, rate=140 + 20 * i)
    ws = _Sheet(wb, "TaxRates", dates)
    ws.add(jurisdiction="TX", tax_category="services", rate=0.0825)
    ws = _Sheet(wb, "Timesheets", dates)
    technicians = max(entries // 150, 1)  # about 150 entries a month each
    october = datetime(2026, 10, 1)
    later: dict[tuple[int, int], list[dict]] = {}  # the history's entries of each month after its first
    for r in range(1, entries + 1):
        k = rng.randrange(contracts)
        if shape == "history":  # October 2024 to November 2026, each month billed by the close after it
            day = HISTORY_FROM - timedelta(days=31) + timedelta(days=rng.randrange(761))
        else:
            day = october + timedelta(days=rng.randrange(31) if r % 6 else 31 + rng.randrange(30))
        entry = dict(entry_id=f"TE{r:07d}", date=day, technician=f"Technician {rng.randrange(technicians)}",
                     customer_id=str(10000 + k % customers), contract_id=f"C{k}", ticket_id=str(500000 + r),
                     work_type=rng.choice(WORK), hours=rng.choice([0.25, 0.5, 1, 1.5, 2]), billable="Y",
                     approved="Y")
        if shape == "history" and day >= HISTORY_FROM:
            later.setdefault((day.year, day.month), []).append(entry)
        else:
            ws.add(**entry)
    wb.close()
    if shape == "history":
        _post_history(tmp, later)
    tmp.replace(path)
    return path


def _post_history(path: Path, later: dict[tuple[int, int], list[dict]]) -> None:
    """Close and post every month from HISTORY_FROM to the month before FIRST_CLOSE, as the tool would,
    each month's time entered before the close that bills it (`later`: the entries of each month)."""
    from xlbilling import jobs
    from xlbilling.io.safe_write import BACKUP_DIR

    day = HISTORY_FROM
    while day < FIRST_CLOSE:
        for job in (jobs.close_workbook, jobs.post_workbook):
            done = job(path, day.date())
            if not done.ok:
                raise SystemExit(f"history: {job.__name__} for {day:%Y-%m-%d} refused: {done.errors[:3]}")
        print(f"history: closed and posted {day:%Y-%m}", flush=True)
        month = later.pop((day.year, day.month), [])
        following = datetime(day.year + day.month // 12, day.month % 12 + 1, 1)
        if following >= FIRST_CLOSE:  # after the last post: the bench's months too
            month += [e for key in sorted(later) for e in later.pop(key)]
        _enter_time(path, month)
        day = following
    for backup in (path.parent / BACKUP_DIR).glob(f"{path.stem}.*{path.suffix}"):  # the runs' own backups
        backup.unlink()


def _enter_time(path: Path, entries: list[dict]) -> None:
    """Time entries added below the Timesheets' last row, as an import adds them (cell edits of the sheet)."""
    from xlbilling.io.sheet_edits import SheetEdits
    from xlbilling.jobs import JobResult
    from xlbilling.runner import with_book, write_run

    def work(read) -> JobResult:
        edits = SheetEdits(read.book, "Timesheets", read.book.time_entries)
        for entry in entries:
            edits.add({k: v.date() if isinstance(v, datetime) else Decimal(str(v)) if isinstance(v, float) else v
                       for k, v in entry.items()})
        cells, _ = edits.written()
        write_run(path, read.book, "bench: enter time", "", [], [f"{len(entries)} entries"], "", cells)
        return JobResult(True)

    done = with_book(path, None, work)
    if not done.ok:
        raise SystemExit(f"history: entering {len(entries)} entries refused: {done.errors[:3]}")
