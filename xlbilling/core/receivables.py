"""Payments, credits and write-offs applied to posted invoices (spec section 3, "Payments, credits and AR").

Events apply in date order (adjustments before payments on the same day). A payment goes first to
the invoice it names, up to its open balance, then to the customer's open invoices, oldest due date
first (then lowest number); what remains is unapplied credit on the customer's account. A payment from
a customer not in Customers is applied to nothing and counts in nobody's AR (PAYMENT_UNMATCHED).
An early-payment discount is taken when the payments applied within its window leave at most the
discount open: that rest is the discount taken, and the invoice is paid.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

from .models import Adjustment, Book, Payment, RegisterRow, number
from .money import ZERO
from .ledger import number_key
from .posting import posted_headers


class Application(NamedTuple):
    payment: Payment
    invoice_number: str
    amount: Decimal


class CreditMemo(NamedTuple):
    number: str
    adjustment: Adjustment
    balance_after: Decimal  # its invoice's open balance once the memo applied


@dataclass
class OpenItem:
    header: RegisterRow
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    written_off: Decimal = ZERO
    discount: Decimal = ZERO  # early-payment discount taken
    last_payment: date | None = None

    @property
    def balance(self) -> Decimal:
        return self.header.total - self.paid - self.credited - self.written_off - self.discount

    @property
    def status(self) -> str:
        if self.balance <= 0 and self.header.total > 0:
            return "paid"
        if self.paid or self.credited or self.written_off or self.discount:
            return "partially_paid"
        return "posted"


@dataclass
class Receivables:
    as_of: date
    invoices: dict[str, OpenItem] = field(default_factory=dict)  # posted invoices, in number order
    applications: list[Application] = field(default_factory=list)
    unapplied: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    credit_memos: list[CreditMemo] = field(default_factory=list)
    write_offs: list[tuple[Adjustment, Decimal]] = field(default_factory=list)  # with the amount applied
    last_payment: dict[str, Payment] = field(default_factory=dict)  # customer -> latest payment
    payments: list[Payment] = field(default_factory=list)  # every payment of a known customer up to the as-of date
    unmatched: list[Payment] = field(default_factory=list)  # payments from customers not in Customers
    discounts: list[tuple[OpenItem, date]] = field(default_factory=list)  # discounts taken, with the day

    def open_items(self) -> list[OpenItem]:
        return [i for i in self.invoices.values() if i.balance > 0]


def apply_receivables(book: Book, as_of: date) -> Receivables:
    return _apply(book, posted_headers(book), book.adjustments, book.payments, as_of)


def _apply(book: Book, headers: list[RegisterRow], adjustments: Iterable[Adjustment], payments: Iterable[Payment],
           as_of: date) -> Receivables:
    """The adjustments and payments to `as_of` applied to the posted invoices `headers` (number order)."""
    ar = Receivables(as_of, {number(h): OpenItem(h) for h in headers if h.invoice_date <= as_of})
    by_customer: dict[str, list[OpenItem]] = defaultdict(list)
    for item in ar.invoices.values():
        by_customer[item.header.customer_id].append(item)
    for items in by_customer.values():
        items.sort(key=lambda i: (i.header.due_date, number_key(i.header.invoice_number)))
    settings = book.settings
    known = {c.customer_id for c in book.customers}
    memo_number = settings.next_credit_memo_number
    events: list[tuple[date, int, str, Adjustment | Payment]] = [
        (a.date, 0, a.adjustment_id, a) for a in adjustments if a.date <= as_of]
    events += [(p.date, 1, p.payment_id, p) for p in payments if p.date <= as_of]
    for _, _, _, event in sorted(events, key=lambda e: e[:3]):
        if isinstance(event, Adjustment):
            target = ar.invoices.get(event.invoice_number)
            if target is None:
                continue
            amount = min(event.amount, max(target.balance, ZERO))
            if event.type == "credit":
                target.credited += amount
                ar.credit_memos.append(CreditMemo(f"{settings.credit_memo_prefix}{memo_number}", event,
                                                  max(target.balance, ZERO)))
                memo_number += 1
                ar.unapplied[target.header.customer_id] += event.amount - amount  # a credit above the balance
            else:
                target.written_off += amount
                ar.write_offs.append((event, amount))
            continue
        if event.customer_id not in known:
            ar.unmatched.append(event)
            continue
        ar.payments.append(event)
        _apply_payment(ar, event, by_customer.get(event.customer_id, []))
    return ar


def open_ar_at(book: Book, ends: list[date]) -> list[Decimal]:
    """Open AR as of each date of `ends` (ascending), each as `open_ar(apply_receivables(book, end))`
    but in one pass. Open AR is what was invoiced less what was collected and credited (cash and credit
    not applied count against it as unapplied), and each of those is a sum to the date, whatever the
    order payments apply in. Only what a write-off or an early-payment discount takes depends on that
    order; customers apply independently, so a customer with either is applied as of each date."""
    headers = posted_headers(book)
    by_number = {number(h): h for h in headers}
    applied = {by_number[a.invoice_number].customer_id for a in book.adjustments
               if a.type != "credit" and a.invoice_number in by_number}
    applied |= {h.customer_id for h in headers if h.discount_date is not None and h.discount_amount}
    known = {c.customer_id for c in book.customers}
    moves: list[tuple[date, Decimal]] = [  # what each sum moves, from the day it counts
        (h.invoice_date, h.total) for h in headers if h.total > 0 and h.customer_id not in applied]
    moves += [(p.date, -p.amount) for p in book.payments if p.customer_id in known and p.customer_id not in applied]
    for a in book.adjustments:
        if a.type == "credit" and (h := by_number.get(a.invoice_number)) and h.customer_id not in applied:
            moves.append((max(a.date, h.invoice_date), -a.amount))  # it counts once both the memo and invoice do
    moves.sort(key=lambda m: m[0])
    rest = ([h for h in headers if h.customer_id in applied],
            [a for a in book.adjustments if a.invoice_number in by_number
             and by_number[a.invoice_number].customer_id in applied],
            [p for p in book.payments if p.customer_id in applied])
    out, total, k = [], ZERO, 0
    for end in ends:
        while k < len(moves) and moves[k][0] <= end:
            total += moves[k][1]
            k += 1
        out.append(total + (open_ar(_apply(book, *rest, end)) if applied else ZERO))
    return out


def open_ar(ar: Receivables) -> Decimal:
    """Open AR: invoice balances less unapplied credit (what ARAging's Total column sums to)."""
    return sum((i.balance for i in ar.open_items()), ZERO) - sum(ar.unapplied.values(), ZERO)


def _apply_payment(ar: Receivables, payment: Payment, customer_items: list[OpenItem]) -> None:
    left = payment.amount
    named = ar.invoices.get(payment.invoice_number) if payment.invoice_number else None
    targets = ([named] if named and named.header.customer_id == payment.customer_id else []) + customer_items
    for item in targets:
        if left <= 0:
            break
        take = min(left, item.balance)
        if take <= 0:
            continue
        item.paid += take
        item.last_payment = payment.date
        ar.applications.append(Application(payment, number(item.header), take))
        left -= take
        _take_discount(ar, item, payment.date)
    if left > 0:
        ar.unapplied[payment.customer_id] += left
    paid_off = 0  # a balance never grows again: what is paid off at the front is not walked by later payments
    while paid_off < len(customer_items) and customer_items[paid_off].balance <= 0:
        paid_off += 1
    del customer_items[:paid_off]
    latest = ar.last_payment.get(payment.customer_id)
    if latest is None or (payment.date, payment.payment_id) >= (latest.date, latest.payment_id):
        ar.last_payment[payment.customer_id] = payment


def _take_discount(ar: Receivables, item: OpenItem, day: date) -> None:
    """Within the discount window, a rest of at most the discount is the discount taken (spec section 3)."""
    h = item.header
    if h.discount_date is None or not h.discount_amount or day > h.discount_date:
        return
    if ZERO < item.balance <= h.discount_amount:
        item.discount = item.balance
        ar.discounts.append((item, day))
