"""Payments, credits and write-offs applied to posted invoices (spec section 3, "Payments, credits and AR").

Events apply in date order (adjustments before payments on the same day). A payment goes first to
the invoice it names, up to its open balance, then to the customer's open invoices, oldest due date
first (then lowest number); what remains is unapplied credit on the customer's account. A payment from
a customer not in Customers is applied to nothing and counts in nobody's AR (PAYMENT_UNMATCHED).
An early-payment discount is taken when the payments applied within its window leave at most the
discount open: that rest is the discount taken, and the invoice is paid.
"""

from __future__ import annotations

from bisect import bisect_right, insort
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
    ar = Receivables(as_of, {number(h): OpenItem(h) for h in posted_headers(book) if h.invoice_date <= as_of})
    by_customer: dict[str, list[OpenItem]] = defaultdict(list)
    for item in ar.invoices.values():
        by_customer[item.header.customer_id].append(item)
    for items in by_customer.values():
        items.sort(key=lambda i: _order(i.header))
    settings = book.settings
    known = {c.customer_id for c in book.customers}
    memo_number = settings.next_credit_memo_number
    for event in _in_order(book.adjustments, book.payments, as_of):
        if isinstance(event, Adjustment):
            memo_number = _apply_adjustment(ar, event, settings.credit_memo_prefix, memo_number)
        elif event.customer_id not in known:
            ar.unmatched.append(event)
        else:
            ar.payments.append(event)
            _apply_payment(ar, event, by_customer.get(event.customer_id, []))
    return ar


def _in_order(adjustments: Iterable[Adjustment], payments: Iterable[Payment],
              as_of: date) -> list[Adjustment | Payment]:
    """The events to a date in the order they apply: by date, adjustments before payments, then by ID."""
    events: list[tuple[date, int, str, Adjustment | Payment]] = [
        (a.date, 0, a.adjustment_id, a) for a in adjustments if a.date <= as_of]
    events += [(p.date, 1, p.payment_id, p) for p in payments if p.date <= as_of]
    return [e[3] for e in sorted(events, key=lambda e: e[:3])]


def _apply_adjustment(ar: Receivables, event: Adjustment, prefix: str, memo_number: int) -> int:
    """A credit memo or write-off applied to the invoice it names; the next credit memo number."""
    target = ar.invoices.get(event.invoice_number)
    if target is None:
        return memo_number
    amount = min(event.amount, max(target.balance, ZERO))
    if event.type == "credit":
        target.credited += amount
        ar.credit_memos.append(CreditMemo(f"{prefix}{memo_number}", event, max(target.balance, ZERO)))
        ar.unapplied[target.header.customer_id] += event.amount - amount  # a credit above the balance
        return memo_number + 1
    target.written_off += amount
    ar.write_offs.append((event, amount))
    return memo_number


def open_ar_at(book: Book, ends: list[date]) -> list[Decimal]:
    """Open AR as of each date of `ends` (ascending), each as `open_ar(apply_receivables(book, end))`
    but in one pass. Open AR is what was invoiced less what was collected and credited (cash and credit
    not applied count against it as unapplied), each a sum to the date whatever the order payments
    apply in, less what write-offs and early-payment discounts took, which depends on that order: the
    customers with either are applied month end after month end (_Taken)."""
    headers = posted_headers(book)
    by_number = {number(h): h for h in headers}
    known = {c.customer_id for c in book.customers}
    moves: list[tuple[date, Decimal]] = [(h.invoice_date, h.total) for h in headers if h.total > 0]
    moves += [(p.date, -p.amount) for p in book.payments if p.customer_id in known]
    ordered = {h.customer_id for h in headers if h.discount_date is not None and h.discount_amount}
    adjustments: dict[str, list[Adjustment]] = defaultdict(list)  # by the customer of the invoice each names
    for a in book.adjustments:
        if h := by_number.get(a.invoice_number):
            adjustments[h.customer_id].append(a)
            if a.type == "credit":
                moves.append((max(a.date, h.invoice_date), -a.amount))  # it counts once memo and invoice both do
            else:
                ordered.add(h.customer_id)
    moves.sort(key=lambda m: m[0])
    invoices: dict[str, list[RegisterRow]] = defaultdict(list)
    for h in headers:
        if h.customer_id in ordered:
            invoices[h.customer_id].append(h)
    payments: dict[str, list[Payment]] = defaultdict(list)
    for p in book.payments:
        if p.customer_id in ordered and p.customer_id in known:  # a stranger's payment applies to nothing
            payments[p.customer_id].append(p)
    taken = [_Taken(c, invoices[c], _in_order(adjustments[c], payments[c], date.max), by_number)
             for c in sorted(ordered)]
    out, total, k = [], ZERO, 0
    for end in ends:
        while k < len(moves) and moves[k][0] <= end:
            total += moves[k][1]
            k += 1
        out.append(total - sum((t.to(end) for t in taken), ZERO))
    return out


class _Taken:
    """What write-offs and discounts took from one customer's invoices to a date, for dates in turn. A
    date's new invoices join those applied to so far when nothing before them could have gone to them: no
    payment or adjustment named one, no payment had money left over, and none reached an invoice that
    comes after one in the order payments apply in. Else the customer is applied again from the start."""

    def __init__(self, customer: str, invoices: list[RegisterRow], events: list[Adjustment | Payment],
                 by_number: dict[str, RegisterRow]):
        """`events`: the customer's payments and the adjustments of its invoices, in the order they apply."""
        self.customer, self.by_number, self.events = customer, by_number, events
        self.invoices = sorted(invoices, key=lambda h: h.invoice_date)
        self.dates = [h.invoice_date for h in self.invoices]
        self._start()

    def _start(self) -> None:
        self.ar = Receivables(date.max)
        self.items: list[OpenItem] = []  # in the order payments apply to them
        self.added = self.applied = 0  # invoices taken in, events applied
        self.named: set[str] = set()  # invoices named before they were taken in
        self.left_over = False
        self.reached: tuple | None = None  # the furthest invoice a payment went on to
        self.taken, self.counted = ZERO, (0, 0)  # what write-offs and discounts took, from how many of each

    def to(self, end: date) -> Decimal:
        issued = bisect_right(self.dates, end)  # the invoices dated to `end`
        fresh = self.invoices[self.added:issued]
        if fresh and (self.left_over or self.named & {number(h) for h in fresh} or (
                self.reached is not None and self.reached > min(map(_order, fresh)))):
            self._start()
            fresh = self.invoices[:issued]
        for h in fresh:
            item = self.ar.invoices[number(h)] = OpenItem(h)
            insort(self.items, item, key=lambda i: _order(i.header))
        self.added = issued
        while self.applied < len(self.events) and self.events[self.applied].date <= end:
            self._apply(self.events[self.applied])
            self.applied += 1
        w, d = self.counted  # what was taken since the last date (a write-off or discount, once taken, stays)
        self.taken += sum((x for _, x in self.ar.write_offs[w:]), ZERO)
        self.taken += sum((i.discount for i, _ in self.ar.discounts[d:]), ZERO)
        self.counted = len(self.ar.write_offs), len(self.ar.discounts)
        return self.taken

    def _apply(self, event: Adjustment | Payment) -> None:
        if event.invoice_number and event.invoice_number not in self.ar.invoices and \
                (h := self.by_number.get(event.invoice_number)) and h.customer_id == self.customer:
            self.named.add(event.invoice_number)
        if isinstance(event, Adjustment):
            _apply_adjustment(self.ar, event, "", 0)
            return
        left, last = _apply_payment(self.ar, event, self.items)
        self.left_over |= left > 0
        if last is not None and (self.reached is None or _order(last.header) > self.reached):
            self.reached = _order(last.header)


def _order(h: RegisterRow) -> tuple:
    """Where an invoice comes in the order a customer's payments apply: oldest due, then lowest number."""
    return h.due_date, number_key(h.invoice_number)


def open_ar(ar: Receivables) -> Decimal:
    """Open AR: invoice balances less unapplied credit (what ARAging's Total column sums to)."""
    return sum((i.balance for i in ar.open_items()), ZERO) - sum(ar.unapplied.values(), ZERO)


def _apply_payment(ar: Receivables, payment: Payment,
                   customer_items: list[OpenItem]) -> tuple[Decimal, OpenItem | None]:
    """A payment applied (`customer_items`: the customer's invoices in the order it applies to them): what is
    left of it, and the last of those invoices it went to after the one it names (None: none)."""
    left = payment.amount
    named = ar.invoices.get(payment.invoice_number) if payment.invoice_number else None
    first = [named] if named and named.header.customer_id == payment.customer_id else []
    last = None
    for k, item in enumerate(first + customer_items):
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
        if k >= len(first):
            last = item
    if left > 0:
        ar.unapplied[payment.customer_id] += left
    paid_off = 0  # a balance never grows again: what is paid off at the front is not walked by later payments
    while paid_off < len(customer_items) and customer_items[paid_off].balance <= 0:
        paid_off += 1
    del customer_items[:paid_off]
    latest = ar.last_payment.get(payment.customer_id)
    if latest is None or (payment.date, payment.payment_id) >= (latest.date, latest.payment_id):
        ar.last_payment[payment.customer_id] = payment
    return left, last


def _take_discount(ar: Receivables, item: OpenItem, day: date) -> None:
    """Within the discount window, a rest of at most the discount is the discount taken (spec section 3)."""
    h = item.header
    if h.discount_date is None or not h.discount_amount or day > h.discount_date:
        return
    if ZERO < item.balance <= h.discount_amount:
        item.discount = item.balance
        ar.discounts.append((item, day))
