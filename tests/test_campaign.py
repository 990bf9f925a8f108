"""The reliability campaign (issue 13, docs/reliability.md): random sequences of edits and commands
over 24 months of a real workbook keep the ledger's invariants, and runs killed at random moments
leave the book whole. CI runs a bounded sample; XLBILLING_CAMPAIGN=long runs the long campaign."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from xlbilling.cli import main
from xlbilling.io.reader import read_book

from .books import write_book

LONG = os.environ.get("XLBILLING_CAMPAIGN") == "long"
EXAMPLES, STEPS, KILLS = (200, 60, 1000) if LONG else (4, 30, 50)
ROOT = Path(__file__).parent.parent
START = date(2025, 1, 1)

CUSTOMERS = [["Customer ID", "Name", "Billing Email", "Tax Jurisdiction", "Payment Terms"],
             ["C1", "Acme", "ap@acme.example", "TX", "2/10 NET 30"], ["C2", "Birch", "ap@birch.example", "TX", "NET30"],
             ["C3", "Cedar", "ap@cedar.example", "TX", "NET15"]]
CONTRACTS = [["Contract ID", "Customer ID", "Start Date", "Billing Frequency", "Billing Timing", "Escalation Pct",
              "Included Hours", "Overage Rate"],
             ["A1", "C1", "2025-01-10", "monthly", "advance", 0.03, None, None],
             ["A2", "C2", "2025-02-01", "quarterly", "advance", None, None, None],
             ["A3", "C3", "2025-01-01", "monthly", "arrears", None, 5, 150],
             ["A4", "C1", "2025-03-15", "annual", "advance", None, None, None]]
LINES = [["Line ID", "Contract ID", "Description", "Kind", "Quantity", "Unit Price"],
         ["L1", "A1", "Seats", "per_unit", 10, 25], ["L2", "A2", "Backup", "fixed", 1, 900],
         ["L3", "A3", "Support", "fixed", 1, 500], ["L4", "A4", "Licence", "fixed", 1, 1200.5]]
TIME = ["Entry ID", "Date", "Technician", "Customer ID", "Contract ID", "Work Type", "Hours", "Approved"]
PAYMENTS = ["Payment ID", "Date", "Customer ID", "Amount"]


def month(k: int) -> date:
    return date(START.year + (START.month - 1 + k) // 12, (START.month - 1 + k) % 12 + 1, 1)


def new_book(folder: Path) -> Path:
    return write_book(folder / "Book.xlsx", {
        "Customers": CUSTOMERS, "Contracts": CONTRACTS, "ContractLines": LINES,
        "RateCard": [["Work Type", "Rate"], ["Remote", 120]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0.0825]],
        "Timesheets": [TIME], "Payments": [PAYMENTS]}, base=False)


def append_row(path: Path, sheet: str, row: list) -> None:
    """What staff do between runs: type a row into an input sheet (saved by another program)."""
    wb = openpyxl.load_workbook(path)
    wb[sheet].append(row)
    wb.save(path)


def check_invariants(path: Path, seen: dict[str, tuple], months_in_order: bool = True) -> None:
    read = read_book(path)
    assert read.errors == [], read.errors[:3]
    book = read.book
    from xlbilling.core.ledger import changed_invoices
    from xlbilling.core.rules import On
    from xlbilling.core.posting import posted
    assert changed_invoices(On(book)) == []
    headers, lines = posted(book)
    numbers = [int(h.invoice_number.removeprefix("INV-")) for h in headers]
    assert numbers == list(range(1001, 1001 + len(numbers)))  # gapless
    for h in headers:  # a posted invoice never changes
        figures = (h.customer_id, h.invoice_date, h.total, h.fingerprint)
        assert seen.setdefault(h.invoice_number, figures) == figures
        assert h.subtotal == sum((ln.amount for ln in lines[h.invoice_number]), Decimal(0))
        assert h.total == h.subtotal + h.tax
    every = [ln for h in headers for ln in lines[h.invoice_number]]
    recurring = [(ln.source_id, ln.service_start) for ln in every if ln.source_type == "recurring"]
    assert len(recurring) == len(set(recurring))  # billed once
    entries = [e for ln in every if ln.entry_ids for e in ln.entry_ids.split()]
    assert len(entries) == len(set(entries))
    wb = openpyxl.load_workbook(path, read_only=True)
    if "GLJournal" in wb.sheetnames:  # every journal balances
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for row in list(wb["GLJournal"].iter_rows(min_row=2, values_only=True)):
            sums[row[0]] += Decimal(str(row[3] or 0)) - Decimal(str(row[4] or 0))
        assert all(abs(v) < Decimal("0.005") for v in sums.values()), sums
    # AR equals the open balances (the tabs age as of the run's date: all invoices dated by then when runs
    # go forward in time)
    if months_in_order and "ARAging" in wb.sheetnames and "InvoiceRegister" in wb.sheetnames:
        aging = sum(Decimal(str(r[-2] or 0)) for r in wb["ARAging"].iter_rows(min_row=2, values_only=True))
        heads = [c.value for c in next(wb["InvoiceRegister"].iter_rows(max_row=1))]
        balance, number = heads.index("Balance"), heads.index("Invoice Number")
        open_ar = sum(Decimal(str(r[balance] or 0)) for r in wb["InvoiceRegister"].iter_rows(min_row=2, values_only=True)
                      if r[number])
        unapplied = sum(Decimal(str(r[-3] or 0)) for r in wb["ARAging"].iter_rows(min_row=2, values_only=True))
        assert abs(aging - (open_ar + unapplied)) < Decimal("0.005")
    if "DeferredRevenue" in wb.sheetnames:  # each month rolls forward
        for m, opening, deferred, recognized, closing in wb["DeferredRevenue"].iter_rows(min_row=2, values_only=True):
            assert abs(Decimal(str(opening)) + Decimal(str(deferred)) - Decimal(str(recognized))
                       - Decimal(str(closing))) < Decimal("0.005"), m
    wb.close()


class Month(RuleBasedStateMachine):
    """A billing specialist's months in random order of chores, with a mistake now and then."""

    def __init__(self):
        super().__init__()
        import tempfile
        self.folder = Path(tempfile.mkdtemp(prefix="xlb-campaign-"))
        self.month = 0
        self.entries = 0
        self.payments = 0
        self.seen: dict[str, tuple] = {}

    @initialize()
    def start(self):
        self.path = new_book(self.folder)

    @precondition(lambda self: self.month < 24)
    @rule()
    def close_and_post(self):
        self.month += 1
        day = month(self.month)
        assert main(["close", str(self.path), "--date", str(day), "--json"]) == 0
        assert main(["post", str(self.path), "--date", str(day), "--json"]) == 0

    @precondition(lambda self: self.month < 24)
    @rule()
    def close_twice_changes_nothing(self):
        day = month(max(self.month, 1))
        assert main(["close", str(self.path), "--date", str(day), "--json"]) == 0
        first = read_book(self.path).book.register
        assert main(["close", str(self.path), "--date", str(day), "--json"]) == 0
        assert read_book(self.path).book.register == first

    @rule(contract=st.sampled_from(["A1", "A3", "A3", "A2"]), hours=st.sampled_from(["0.25", "1.5", "4", "7.75"]),
          day=st.integers(0, 27), approved=st.booleans())
    def log_time(self, contract, hours, day, approved):
        self.entries += 1
        customer = {"A1": "C1", "A2": "C2", "A3": "C3"}[contract]
        when = month(self.month) - timedelta(days=day + 1)
        append_row(self.path, "Timesheets", [f"T{self.entries}", when.isoformat(), "Ann", customer, contract,
                                             "Remote", float(hours), "Y" if approved else "N"])

    @rule(customer=st.sampled_from(["C1", "C2", "C3", "C9"]), cents=st.integers(1, 300_000))
    def receive_payment(self, customer, cents):
        self.payments += 1
        day = month(self.month) + timedelta(days=5)
        append_row(self.path, "Payments", [f"P{self.payments}", day.isoformat(), customer, cents / 100])

    @rule(as_of=st.integers(0, 40))
    def refresh(self, as_of):
        assert main(["refresh", str(self.path), "--as-of", str(month(self.month) + timedelta(days=as_of)),
                     "--json"]) == 0

    @invariant()
    def ledger_holds(self):
        if hasattr(self, "path"):
            check_invariants(self.path, self.seen)

    def teardown(self):
        import shutil
        shutil.rmtree(self.folder, ignore_errors=True)


Month.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                                   suppress_health_check=list(HealthCheck))
TestMonth = Month.TestCase


def test_runs_killed_at_random_moments_leave_the_old_or_a_whole_new_book(tmp_path):
    rng = random.Random(13)
    path = new_book(tmp_path)
    append_row(path, "Timesheets", ["T1", "2025-01-20", "Ann", "C3", "A3", "Remote", 6, "Y"])
    append_row(path, "Payments", ["P1", "2025-02-03", "C1", 100])
    killed = 0
    k = 0
    while killed < KILLS:
        k += 1
        day = month(1 + k % 20)
        command = rng.choice([["close", "--date", str(day)], ["post", "--date", str(day)],
                              ["refresh", "--as-of", str(day)]])
        before = path.read_bytes()
        proc = subprocess.Popen([sys.executable, "-m", "xlbilling.cli", command[0], str(path), *command[1:], "--json"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.05, 1.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        _, err = proc.communicate()
        assert b"Traceback" not in err, err.decode()
        after = path.read_bytes()
        if after != before:  # a whole new version: it reads clean
            assert read_book(path).errors == []
    assert main(["close", str(path), "--date", "2025-12-01", "--json"]) == 0  # and the next run succeeds
    check_invariants(path, {}, months_in_order=False)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", "-lock"))]
