"""UnbilledWIP (beyond the spec): approved billable time not yet on a posted invoice, by age."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..core.due import Billed, RateBook
from ..core.models import Book
from ..core.money import ZERO, round_cents
from ..core.tabs import DATE, INT, MONEY, NUMBER, TEXT, Column, Tab

BUCKETS = ((30, "0-30 Days"), (60, "31-60 Days"), (90, "61-90 Days"), (None, "91+ Days"))


def unbilled_wip_tab(book: Book, as_of: date, billed: Billed) -> Tab:
    rates = RateBook(book.rates)
    rows: dict[tuple[str, str], list] = {}
    for e in book.time_entries:
        if not (e.billable and e.approved and e.hours > 0) or e.invoice_number or e.entry_id in billed.entries:
            continue
        if e.date > as_of:
            continue
        row = rows.setdefault((e.customer_id, e.contract_id or ""), [0, ZERO, [ZERO] * len(BUCKETS), e.date, 0])
        rate = rates.rate(e.contract_id, e.work_type, e.date)
        age = (as_of - e.date).days
        k = next(n for n, (limit, _) in enumerate(BUCKETS) if limit is None or age <= limit)
        row[0] += 1
        row[1] += e.hours
        if rate is None:
            row[4] += 1
        else:
            row[2][k] += e.hours * rate
        row[3] = min(row[3], e.date)
    columns = (Column("Customer ID", TEXT, 12), Column("Contract ID", TEXT, 12), Column("Entries", INT, 8),
               Column("Hours", NUMBER, 9), *(Column(label, MONEY, 12) for _, label in BUCKETS),
               Column("Total", MONEY, 13), Column("Oldest Entry", DATE, 12), Column("Entries Without Rate", INT, 10))
    out = []
    for (cust, cid), (n, hours, amounts, oldest, no_rate) in sorted(rows.items()):
        rounded = [round_cents(a) for a in amounts]
        out.append((cust, cid or None, n, hours, *rounded, sum(rounded, Decimal(0)), oldest, no_rate))
    return Tab("UnbilledWIP", columns, out, tab_color="FF7F6000")
