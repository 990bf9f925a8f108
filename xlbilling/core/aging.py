"""Receivables as of a date: ARAging per customer, ARDetail per open invoice, and Collections
(open past-due invoices not in dispute, with the next step to take)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from .models import Book, Settings
from .money import ZERO
from .receivables import Receivables
from .tabs import DATE, INT, MONEY, TEXT, Column, Tab


def bucket_labels(bounds: tuple[int, ...]) -> list[str]:
    labels, low = ["Current"], 1
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return labels + [f"{low}+"]


def bucket_index(days_past_due: int, bounds: tuple[int, ...]) -> int:
    """0 for current (not past due); then the first bucket whose upper bound holds the days."""
    if days_past_due <= 0:
        return 0
    for k, high in enumerate(bounds, start=1):
        if days_past_due <= high:
            return k
    return len(bounds) + 1


def open_disputes(book: Book, as_of: date) -> set[str]:
    return {d.invoice_number for d in book.disputes
            if d.opened_date <= as_of and (d.status == "open" or (d.resolved_date and d.resolved_date > as_of))}


def aging_tab(book: Book, ar: Receivables) -> Tab:
    bounds = book.settings.aging_buckets
    labels = bucket_labels(bounds)
    names = {c.customer_id: c.name for c in book.customers}
    disputed = open_disputes(book, ar.as_of)
    rows: dict[str, list] = defaultdict(lambda: [ZERO] * (len(labels) + 1))  # buckets + in dispute
    for item in ar.open_items():
        h = item.header
        row = rows[h.customer_id]
        row[bucket_index((ar.as_of - h.due_date).days, bounds)] += item.balance
        if h.invoice_number in disputed:
            row[-1] += item.balance
    for cust, credit in ar.unapplied.items():
        if credit:
            rows[cust]  # a customer with only unapplied credit still has a row
    out = []
    for cust in sorted(rows):
        buckets, in_dispute = rows[cust][:-1], rows[cust][-1]
        unapplied = -ar.unapplied.get(cust, ZERO)
        out.append((cust, names.get(cust), *buckets, unapplied, sum(buckets, ZERO) + unapplied, in_dispute or None))
    columns = (Column("Customer ID", TEXT, 12), Column("Customer Name", TEXT, 30),
               *(Column(label, MONEY, 12) for label in labels), Column("Unapplied", MONEY, 12),
               Column("Total", MONEY, 13), Column("In Dispute", MONEY, 12))
    return Tab("ARAging", columns, out)


def detail_tab(book: Book, ar: Receivables) -> Tab:
    bounds = book.settings.aging_buckets
    labels = bucket_labels(bounds)
    names = {c.customer_id: c.name for c in book.customers}
    disputed = open_disputes(book, ar.as_of)
    rows = []
    for item in ar.open_items():
        h = item.header
        days = (ar.as_of - h.due_date).days
        rows.append((h.invoice_number, h.customer_id, names.get(h.customer_id), h.invoice_date, h.due_date,
                     max(days, 0), labels[bucket_index(days, bounds)], h.total, item.paid, item.credited,
                     item.written_off, item.balance, "Y" if h.invoice_number in disputed else None))
    columns = (Column("Invoice Number", TEXT, 15), Column("Customer ID", TEXT, 12), Column("Customer Name", TEXT, 28),
               Column("Invoice Date", DATE, 12), Column("Due Date", DATE, 12), Column("Days Past Due", INT, 10),
               Column("Bucket", TEXT, 9), Column("Total", MONEY, 12), Column("Paid", MONEY, 12),
               Column("Credited", MONEY, 12), Column("Written Off", MONEY, 12), Column("Balance", MONEY, 12),
               Column("In Dispute", TEXT, 9))
    return Tab("ARDetail", columns, rows)


def next_step(days_past_due: int, settings: Settings) -> str | None:
    steps = ((settings.escalate_days, "Escalate"), (settings.final_notice_days, "Final notice"),
             (settings.reminder_2_days, "Reminder 2"), (settings.reminder_1_days, "Reminder 1"))
    return next((label for threshold, label in steps if days_past_due >= threshold), None)


def collections_tab(book: Book, ar: Receivables) -> Tab:
    customers = {c.customer_id: c for c in book.customers}
    disputed = open_disputes(book, ar.as_of)
    rows = []
    for item in ar.open_items():
        h = item.header
        days = (ar.as_of - h.due_date).days
        step = next_step(days, book.settings)
        if days <= 0 or step is None or h.invoice_number in disputed:
            continue
        c = customers.get(h.customer_id)
        last = ar.last_payment.get(h.customer_id)
        rows.append((h.invoice_number, h.customer_id, c.name if c else None, c.billing_email if c else None,
                     h.due_date, days, item.balance, last.date if last else None, step))
    rows.sort(key=lambda r: (-r[5], -r[6], r[0]))
    columns = (Column("Invoice Number", TEXT, 15), Column("Customer ID", TEXT, 12), Column("Customer Name", TEXT, 28),
               Column("Billing Email", TEXT, 28), Column("Due Date", DATE, 12), Column("Days Past Due", INT, 10),
               Column("Balance", MONEY, 12), Column("Last Payment", DATE, 12), Column("Next Step", TEXT, 14))
    return Tab("Collections", columns, rows, tab_color="FFC65911")

