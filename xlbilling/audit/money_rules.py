"""Audit rules on money already invoiced: payments that match nothing or fall short, and posted
invoices edited by hand. Every command that writes (close, post, refresh) works them out."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from collections.abc import Iterator

import numpy as np

from ..core.findings import ERROR, WARNING, Finding, show
from ..core.ledger import changed_invoices
from ..core.models import Charge, TimeEntry, number
from ..core.money import ZERO
from ..core.rules import Say, Subject, rule
from .base import LedgerContext


@rule("PAYMENT_UNMATCHED", ERROR,
      what="payment for an unknown customer or invoice",
      action="correct the payment's customer or invoice number")
def payment_unmatched(ctx: LedgerContext, say: Say) -> Iterator[Finding]:
    invoices = {h.invoice_number: h.customer_id for h in ctx.posted_headers}
    for p in ctx.book.payments:
        if p.customer_id not in ctx.customers:
            yield say(p, "customer_id",
                      f"payment {p.payment_id} is from an unknown customer", Subject(f"payment:{p.payment_id}"),
                      show(p.customer_id), "a customer ID from the Customers sheet", p.amount)
        elif p.invoice_number and p.invoice_number not in invoices:
            yield say(p, "invoice_number",
                      f"payment {p.payment_id} names invoice {p.invoice_number}, which is not a posted invoice",
                      Subject(f"payment:{p.payment_id}", p.customer_id), show(p.invoice_number),
                      "the number of a posted invoice", p.amount)
        elif p.invoice_number and invoices[p.invoice_number] != p.customer_id:
            yield say(p, "invoice_number",
                      f"payment {p.payment_id} from customer {p.customer_id} names invoice {p.invoice_number} of "
                      f"customer {invoices[p.invoice_number]}; it is applied to {p.customer_id}'s own invoices",
                      Subject(f"payment:{p.payment_id}", p.customer_id), show(p.invoice_number),
                      f"an invoice of customer {p.customer_id}", p.amount)


@rule("PAYMENT_SHORT", WARNING,
      what="payment naming an invoice leaves it partly unpaid",
      action="follow up on the short payment")
def payment_short(ctx: LedgerContext, say: Say) -> Iterator[Finding]:
    """A payment naming an invoice that leaves it partly unpaid (credits and earlier payments counted;
    a rest that the early-payment discount takes is not short)."""
    headers = {number(h): h for h in ctx.posted_headers}
    balance: dict[str, Decimal] = {n: h.total for n, h in headers.items()}
    for a in ctx.book.adjustments:
        if a.invoice_number in balance:
            balance[a.invoice_number] -= a.amount
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in sorted(ctx.book.payments, key=lambda p: (p.date, p.payment_id)):
        if p.invoice_number not in balance or p.customer_id != headers[p.invoice_number].customer_id:
            continue
        paid[p.invoice_number] += p.amount
        left = balance[p.invoice_number] - paid[p.invoice_number]
        h = headers[p.invoice_number]
        if h.discount_date and h.discount_amount and p.date <= h.discount_date and left <= h.discount_amount:
            continue  # the discount settles the rest
        if left > 0:
            yield say(p, "amount",
                      f"payment {p.payment_id} leaves {left:,.2f} of invoice {p.invoice_number} unpaid",
                      Subject(f"short:{p.payment_id}", p.customer_id), f"{p.amount:,.2f}",
                      f"{left + p.amount:,.2f} to settle it", left)


@rule("INVOICE_NUMBER_UNKNOWN", WARNING, beyond_spec=True,
      what="time entries or charges carrying an invoice number xlbilling never posted",
      action="clear the Invoice Number cells to bill the items here, or leave them if another system billed them")
def invoice_number_unknown(ctx: LedgerContext, say: Say) -> Iterator[Finding]:
    """Time entries and charges carrying an invoice number xlbilling never posted (typed, or billed by
    another system): they are never billed here, which staff must know. One finding per number, at the
    first row that carries it (a history imported as billed elsewhere is a few findings, not one a row)."""
    posted = {h.invoice_number for h in ctx.posted_headers}
    table = ctx.book.time_entries
    first: dict[str, TimeEntry | Charge] = {}  # invoice number -> the first record carrying it
    entries: dict[str, int] = defaultdict(int)
    if len(table):
        column = table.columns["invoice_number"]
        counts = np.bincount(column.codes, minlength=len(column.values))
        earliest = np.full(len(column.values), len(column.codes), dtype=np.int64)
        np.minimum.at(earliest, column.codes, np.arange(len(column.codes)))  # the first entry of each number
        for k, number in enumerate(column.values):
            if number and number not in posted and counts[k]:
                entries[number] = int(counts[k])
                first[number] = table.entry(int(earliest[k]))
    charges: dict[str, int] = defaultdict(int)
    for ch in ctx.book.charges:
        if ch.invoice_number and ch.invoice_number not in posted:
            charges[ch.invoice_number] += 1
            first.setdefault(ch.invoice_number, ch)
    for number in sorted(first):
        record, n = first[number], entries[number]
        yield say(record, "invoice_number",
                  f"{n} time entr{'y' if n == 1 else 'ies'} and {charges[number]} charge(s) carry invoice number "
                  f"{number}, which xlbilling never posted: they count as billed elsewhere and are never billed "
                  "here", Subject(f"unknown-invoice:{number}", record.customer_id), show(number),
                  "an invoice number written by post, or blank")


MONEY_RULES = (payment_unmatched, payment_short, changed_invoices, invoice_number_unknown)
MONEY_CODES = frozenset(r.code for r in MONEY_RULES)
