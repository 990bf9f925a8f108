"""Seat reconciliation: what vendors say each customer has (VendorCounts) against what the customer's
recurring lines bill, per customer and vendor SKU, on a day (the invoice date of a close).

The latest count on or before the day counts. A line bills a SKU when its `vendor_sku` names it
(trimmed, any case) and it runs on the day (its own dates, else its contract's). The amount at stake
is the difference in seats times the line's price for the day (escalation applied), per billing
period of its contract and per month.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .models import Book, Contract, ContractLine, VendorCount
from .money import ZERO, round_cents
from .periods import MONTHS, escalated, whole_years
from .tabs import DATE, INT, MONEY, NUMBER, TEXT, Column, Tab

MATCHED, UNDER, OVER, NOT_BILLED, NO_COUNT = ("matched", "under-billed", "over-billed", "not billed",
                                              "not in vendor data")


class Seat(NamedTuple):
    """One customer and SKU: what is billed, what the vendor counts, and what is at stake."""

    customer_id: str
    vendor_sku: str
    billed: Decimal | None  # seats on the customer's lines running on the day (None: no line bills the SKU)
    counted: Decimal | None  # the vendor's latest count on or before the day (None: no count)
    vendor_row: VendorCount | None  # the VendorCounts row that holds
    line: ContractLine | None  # the line to change: the latest-starting one that bills the SKU
    contract: Contract | None
    price: Decimal | None  # the line's price per billing period on the day

    @property
    def difference(self) -> Decimal | None:
        """Seats the vendor counts beyond those billed (negative: billed beyond the count)."""
        return None if self.billed is None or self.counted is None else self.counted - self.billed

    @property
    def status(self) -> str:
        if self.counted is None:
            return NO_COUNT
        if self.billed is None:
            return NOT_BILLED if self.counted else MATCHED  # a count of none that nothing bills agrees
        return MATCHED if self.difference == 0 else UNDER if self.counted > self.billed else OVER

    @property
    def per_period(self) -> Decimal | None:
        """The amount at stake per billing period (difference times price; negative when over-billed)."""
        d = self.difference
        return None if d is None or self.price is None else round_cents(d * self.price)

    @property
    def monthly(self) -> Decimal | None:
        at_stake = self.per_period
        if at_stake is None or self.contract is None:
            return None
        return round_cents(at_stake / MONTHS[self.contract.billing_frequency])


def sku_key(sku: str) -> str:
    return sku.strip().lower()


def latest_counts(counts: tuple[VendorCount, ...], day: date) -> dict[tuple[str, str], VendorCount]:
    """The count that holds on a day per customer and SKU: the latest on or before it (later row wins a tie)."""
    out: dict[tuple[str, str], VendorCount] = {}
    for c in counts:
        key = (c.customer_id, sku_key(c.vendor_sku))
        if c.as_of <= day and (key not in out or c.as_of >= out[key].as_of):
            out[key] = c
    return out


def _runs_on(line: ContractLine, contract: Contract, day: date) -> bool:
    start = line.start_date or contract.start_date
    end = line.end_date or contract.end_date
    return start <= day and (end is None or day <= end)


def reconcile(book: Book, day: date) -> list[Seat]:
    """Every customer and SKU that a line bills or a vendor counts, in customer and SKU order."""
    contracts = {c.contract_id: c for c in book.contracts}
    billing: dict[tuple[str, str], list[tuple[ContractLine, Contract]]] = defaultdict(list)
    for ln in book.lines:
        on = contracts.get(ln.contract_id)
        if ln.vendor_sku and on is not None and _runs_on(ln, on, day):
            billing[(on.customer_id, sku_key(ln.vendor_sku))].append((ln, on))
    counts = latest_counts(book.vendor_counts, day)
    seats = []
    for key in sorted(billing.keys() | counts.keys()):
        count, lines = counts.get(key), billing.get(key, [])
        line: ContractLine | None = None
        contract: Contract | None = None
        price: Decimal | None = None
        if lines:
            line, contract = max(lines, key=lambda lc: (lc[0].start_date or lc[1].start_date, lc[0].row))
            price = escalated(line.unit_price, contract.escalation_pct, whole_years(contract.start_date, day))
        billed = sum((ln.quantity for ln, _ in lines), ZERO) if lines else None
        sku = line.vendor_sku.strip() if line and line.vendor_sku else count.vendor_sku.strip() if count else key[1]
        seats.append(Seat(key[0], sku, billed, count.quantity if count else None, count, line, contract, price))
    return seats


class Totals(NamedTuple):
    recovered: Decimal  # a month: revenue recovered if every under-billed line is brought up to the count
    at_risk: Decimal  # a month: credits at risk, billed beyond the vendor's count
    mismatched: int
    not_billed: int

    def summary(self) -> str:
        return (f"Seat reconciliation: {self.mismatched} mismatch(es); {self.recovered:,.2f} a month recovered if "
                f"fixed, {self.at_risk:,.2f} a month in credits at risk; {self.not_billed} vendor count(s) "
                "nobody bills.")


def totals(seats: list[Seat]) -> Totals:
    under = [s.monthly for s in seats if s.status == UNDER and s.monthly is not None]
    over = [-s.monthly for s in seats if s.status == OVER and s.monthly is not None]
    return Totals(sum(under, ZERO), sum(over, ZERO), sum(s.status in (UNDER, OVER) for s in seats),
                  sum(s.status == NOT_BILLED for s in seats))


COLUMNS = (Column("Customer ID", TEXT, 12), Column("Customer", TEXT, 26), Column("Vendor SKU", TEXT, 20),
           Column("Billed Quantity", NUMBER, 10), Column("Vendor Quantity", NUMBER, 10), Column("As Of", DATE, 11),
           Column("Difference", NUMBER, 10), Column("Monthly At Stake", MONEY, 13), Column("Status", TEXT, 18),
           Column("Contract Line", TEXT, 14), Column("Vendor", TEXT, 14))
_FILLS = {UNDER: "warning", OVER: "error", NOT_BILLED: "warning"}


def seats_summary_tab(seats: list[Seat]) -> Tab:
    """The reconciliation in three lines, for managers: how many, and what each kind is worth a month."""
    t = totals(seats)
    count = {status: sum(s.status == status for s in seats) for status in (UNDER, OVER, NOT_BILLED, MATCHED)}
    return Tab("Seats", (Column("Status", TEXT, 44), Column("Customers × SKUs", INT, 16),
                         Column("A Month", MONEY, 14)), [
        ("Under-billed: revenue recovered if fixed", count[UNDER], t.recovered),
        ("Over-billed: credits at risk", count[OVER], t.at_risk),
        ("Not billed: vendor counts nobody bills", count[NOT_BILLED], None),
        ("Matched", count[MATCHED], None)])


def mismatches_tab(book: Book, seats: list[Seat]) -> Tab:
    """Every customer and SKU that does not match, the most at stake first."""
    names = {c.customer_id: c.name for c in book.customers}
    rows = [(f"{names.get(s.customer_id, s.customer_id)} · {s.vendor_sku}", s.customer_id, s.billed, s.counted,
             s.vendor_row.as_of if s.vendor_row else None, s.difference,
             None if s.monthly is None else abs(s.monthly), s.status)
            for s in sorted(seats, key=lambda s: (-abs(s.monthly or ZERO), s.customer_id, s.vendor_sku))
            if s.status in (UNDER, OVER, NOT_BILLED)]
    return Tab("Seat mismatches", (Column("Customer · SKU", TEXT, 40), Column("Customer ID", TEXT, 12),
                                   Column("Billed", NUMBER, 9), Column("Vendor Count", NUMBER, 9),
                                   Column("As Of", DATE, 11), Column("Difference", NUMBER, 10),
                                   Column("Monthly At Stake", MONEY, 14), Column("Status", TEXT, 14)), rows)


def reconciliation_tab(book: Book, seats: list[Seat], day: date) -> Tab:
    """The Reconciliation tab of `reconcile(book, day)`: the totals on top, then every customer and SKU
    (mismatches first)."""
    t = totals(seats)
    names = {c.customer_id: c.name for c in book.customers}
    order = {UNDER: 0, OVER: 1, NOT_BILLED: 2, NO_COUNT: 3, MATCHED: 4}
    rows: list[tuple] = [
        ("Total", f"as of {day}", "revenue recovered if fixed", None, None, None, None, t.recovered,
         f"{t.mismatched} mismatch(es)", None, None),
        ("Total", f"as of {day}", "credits at risk", None, None, None, None, t.at_risk,
         f"{t.not_billed} not billed", None, None)]
    fills: list[str | None] = ["info", "info"]
    for s in sorted(seats, key=lambda s: (order[s.status], -abs(s.monthly or ZERO), s.customer_id, s.vendor_sku)):
        rows.append((s.customer_id, names.get(s.customer_id), s.vendor_sku, s.billed, s.counted,
                     s.vendor_row.as_of if s.vendor_row else None, s.difference, s.monthly, s.status,
                     s.line.line_id if s.line else None, s.vendor_row.vendor if s.vendor_row else None))
        fills.append(_FILLS.get(s.status))
    return Tab("Reconciliation", COLUMNS, rows, row_fills=fills, tab_color="FF7030A0")
