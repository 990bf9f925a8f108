"""What the BILLING_ custom functions compute, as plain functions (no xlwings): each takes cell
values as Excel gives them and returns a value or a readable error text, never raises."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from collections.abc import Callable

from ..core.aging import bucket_index, bucket_labels
from ..core.items import RateBook
from ..core.invoicing import TaxTable
from ..core.models import Book
from ..core.money import ZERO, round_cents
from ..core.periods import Period, prorate
from ..core.posting import billed_by
from ..core.schedule import billing_schedule
from ..io.convert import Bad, to_date, to_number, to_terms, to_text

ERROR = "#BILLING: "


def _guard(fn: Callable) -> Callable:
    def run(*args):
        try:
            return fn(*args)
        except Bad as exc:
            return f"{ERROR}expected {exc.expected}"
        except (ValueError, ArithmeticError, TypeError) as exc:
            return f"{ERROR}{exc}"
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def _date(value: object, what: str) -> date:
    if value is None or value == "":
        raise Bad(f"{what}: a date")
    return to_date(value)


def _money(value: object, what: str) -> Decimal:
    if value is None or value == "":
        raise Bad(f"{what}: a number")
    return to_number(value)


def _out(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


@_guard
def prorate_amount(amount, start, end, period_start, period_end):
    cover_start, cover_end = max(_date(start, "start"), _date(period_start, "period start")), \
        min(_date(end, "end"), _date(period_end, "period end"))
    period = Period(_date(period_start, "period start"), _date(period_end, "period end"))
    if period.end < period.start:
        return f"{ERROR}the period ends before it starts"
    if cover_end < cover_start:
        return 0.0
    return float(prorate(round_cents(_money(amount, "amount")), Period(cover_start, cover_end).days, period.days))


@_guard
def due_date(invoice_date, terms):
    return _out(to_terms(terms).due_date(_date(invoice_date, "invoice date")))


@_guard
def aging_bucket(due, as_of, buckets="30,60,90"):
    bounds = tuple(int(b) for b in to_text(buckets).split(","))
    days = (_date(as_of, "as of") - _date(due, "due date")).days
    return bucket_labels(bounds)[bucket_index(days, bounds)]


@_guard
def rate(book: Book, contract_id, work_type, day):
    found = RateBook(book.rates).rate(to_text(contract_id) or None, to_text(work_type), _date(day, "date"))
    return float(found) if found is not None else f"{ERROR}no rate for '{work_type}' on that date"


@_guard
def tax(book: Book, amount, jurisdiction, category, day):
    found = TaxTable(book.tax_rates).rate(to_text(jurisdiction), to_text(category), _date(day, "date"))
    if found is None:
        return f"{ERROR}no tax rate for {jurisdiction} and {category}"
    return float(round_cents(_money(amount, "amount") * found))


@_guard
def next_bill(book: Book, contract_id, as_of=None):
    day = _date(as_of, "as of") if as_of not in (None, "") else date.today()
    cid = to_text(contract_id)
    if cid not in {c.contract_id for c in book.contracts}:
        return f"{ERROR}unknown contract {cid}"
    bills = [s for s in billing_schedule(book, day) if s.item.contract_id == cid]
    return _out(bills[0].bill_on) if bills else "no recurring billing ahead"


@_guard
def cap_remaining(book: Book, contract_id):
    cid = to_text(contract_id)
    contract = next((c for c in book.contracts if c.contract_id == cid), None)
    if contract is None:
        return f"{ERROR}unknown contract {cid}"
    if contract.not_to_exceed is None:
        return "no cap"
    billed = billed_by(book.invoice_lines).time_billed.get(cid, ZERO)
    return float(contract.not_to_exceed - billed)
