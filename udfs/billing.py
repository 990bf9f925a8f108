"""BILLING_ custom functions for staff formulas: thin xlwings wrappers over xlbilling.excel.functions.

Excel shows each docstring in the function wizard. Functions that look at the workbook read the
calling book's sheets (cached for a few seconds, so a sheet full of formulas reads it once).
UDFs run on Windows only (xlwings' limitation); the rest of xlbilling runs everywhere.
"""

from __future__ import annotations

import time

import xlwings as xw

from xlbilling.excel import functions as f
from xlbilling.excel.book import ExcelWorkbook

_CACHE: dict[str, tuple[float, object]] = {}
CACHE_SECONDS = 10


def _book(caller):
    book = caller.sheet.book
    key = book.fullname
    hit = _CACHE.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    read = ExcelWorkbook(book).read()
    value = read.book if read.ok else f"{f.ERROR}the workbook has {len(read.errors)} input error(s); run Validate"
    _CACHE[key] = (time.monotonic(), value)
    return value


def _with_book(caller, fn, *args):
    book = _book(caller)
    return book if isinstance(book, str) else fn(book, *args)


@xw.func
def BILLING_PRORATE(amount, start, end, period_start, period_end):
    """The part of a period's amount for the days from start to end that fall in the period
    (daily proration, half-up to cents), as the monthly close computes it."""
    return f.prorate_amount(amount, start, end, period_start, period_end)


@xw.func
def BILLING_DUE_DATE(invoice_date, terms):
    """The due date of an invoice for payment terms such as NET30, DUE_ON_RECEIPT or 2/10 NET 30."""
    return f.due_date(invoice_date, terms)


@xw.func
def BILLING_AGING_BUCKET(due_date, as_of, buckets="30,60,90"):
    """The aging bucket (Current, 1-30, 31-60, 61-90, 91+) of an invoice due on due_date, as of a date."""
    return f.aging_bucket(due_date, as_of, buckets)


@xw.func
@xw.arg("caller", vba="Application.Caller")
def BILLING_RATE(contract_id, work_type, date, caller):
    """The hourly rate for a work type on a date: the contract's own rate, else the default (RateCard)."""
    return _with_book(caller, f.rate, contract_id, work_type, date)


@xw.func
@xw.arg("caller", vba="Application.Caller")
def BILLING_TAX(amount, jurisdiction, category, date, caller):
    """The sales tax on an amount for a jurisdiction and tax category on a date (TaxRates), half-up to cents."""
    return _with_book(caller, f.tax, amount, jurisdiction, category, date)


@xw.func
@xw.arg("caller", vba="Application.Caller")
def BILLING_NEXT_BILL(contract_id, caller):
    """The date a contract's recurring lines next come up for billing."""
    return _with_book(caller, f.next_bill, contract_id)


@xw.func
@xw.arg("caller", vba="Application.Caller")
def BILLING_CAP_REMAINING(contract_id, caller):
    """How much time and materials billing a contract's not-to-exceed cap still allows (posted invoices counted)."""
    return _with_book(caller, f.cap_remaining, contract_id)
