"""Cross-record checks of a freshly read book: duplicate IDs and references to unknown IDs.

These are input errors (the workbook is inconsistent), unlike discrepancies, which are billing
findings the audit reports (a time entry on an unknown contract is TIME_NO_CONTRACT, not here).
"""

from __future__ import annotations

from operator import attrgetter

from typing import NamedTuple

import numpy as np

from .findings import Finding, input_error, show
from .models import Book
from .timetable import TimeTable


def _column(book: Book, sheet: str, key: str) -> list:
    rows = book.rows(sheet)
    if isinstance(rows, TimeTable):
        c = rows.columns[key]
        if len(c.values) == len(c.codes) and np.array_equal(c.codes, np.arange(len(c.codes))):
            return c.values  # a column of IDs: a value per entry already
        return list(map(c.values.__getitem__, c.codes.tolist()))
    return list(map(attrgetter(key), rows))


def _distinct(book: Book, sheet: str, key: str) -> set:
    rows = book.rows(sheet)
    if isinstance(rows, TimeTable):
        c = rows.columns[key]
        used = np.flatnonzero(np.bincount(c.codes, minlength=len(c.values))) if len(c.codes) else np.zeros(0, int)
        return {c.values[k] for k in used.tolist()}
    return set(map(attrgetter(key), rows))


def _duplicates(book: Book, sheet: str, key: str) -> list[Finding]:
    values = _column(book, sheet, key)
    distinct = set(values)
    if len(distinct) == len(values) or (None in distinct and len(distinct) - 1 == len(values) - values.count(None)):
        return []
    first: dict[str, NamedTuple] = {}
    errors = []
    for rec in book.rows(sheet):
        value = getattr(rec, key)
        if value is None:
            continue
        if value in first:
            errors.append(input_error(
                book.cell(rec, key), f"duplicate {key}", show(value),
                f"a unique ID ({show(value)} is already used at {book.cell(first[value], key)})"))
        else:
            first[value] = rec
    return errors


# (sheet, field, referenced sheet, referenced key); blank optional references are fine.
_REFERENCES = (
    ("Contracts", "customer_id", "Customers", "customer_id"),
    ("ContractLines", "contract_id", "Contracts", "contract_id"),
    ("RateCard", "contract_id", "Contracts", "contract_id"),
    ("Timesheets", "customer_id", "Customers", "customer_id"),
    ("Charges", "customer_id", "Customers", "customer_id"),
    ("Charges", "contract_id", "Contracts", "contract_id"),
    ("Milestones", "contract_id", "Contracts", "contract_id"),
    ("Amendments", "contract_id", "Contracts", "contract_id"),
)

_KEYS = (
    ("Customers", "customer_id"), ("Contracts", "contract_id"), ("ContractLines", "line_id"),
    ("Timesheets", "entry_id"), ("Charges", "charge_id"), ("Milestones", "milestone_id"),
    ("Payments", "payment_id"), ("Adjustments", "adjustment_id"), ("Amendments", "amendment_id"),
    ("InvoiceRegister", "invoice_number"), ("Discrepancies", "discrepancy_id"), ("GLAccounts", "account"),
)


# Sheets where two rows for the same key would leave one of them picked silently: (sheet, key, value field, what)
_ONE_ROW_PER = (
    ("RateCard", lambda r: (r.contract_id or "", r.work_type.strip().lower(), r.effective_from), "rate",
     "rate for this contract, work type and effective date"),
    ("TaxRates", lambda r: (r.jurisdiction.strip().lower(), r.tax_category.strip().lower(), r.effective_from), "rate",
     "tax rate for this jurisdiction, category and effective date"),
)


def _one_row_per_key(book: Book, sheet: str, key, field_name: str, what: str) -> list[Finding]:
    first: dict = {}
    errors = []
    for rec in book.rows(sheet):
        k = key(rec)
        if k in first:
            errors.append(input_error(book.cell(rec, field_name), f"a second {what}", show(getattr(rec, field_name)),
                                      f"one row per key ({book.cell(first[k], field_name)} has it already)"))
        else:
            first[k] = rec
    return errors


def _charge_contracts(book: Book) -> list[Finding]:
    owner = {c.contract_id: c.customer_id for c in book.contracts}
    return [input_error(book.cell(ch, "contract_id"), f"charge {ch.charge_id} is for customer {ch.customer_id} but "
                        f"contract {ch.contract_id} belongs to {owner[ch.contract_id]}", show(ch.contract_id),
                        f"a contract of customer {ch.customer_id}, or none")
            for ch in book.charges if ch.contract_id in owner and owner[ch.contract_id] != ch.customer_id]


def check_integrity(book: Book, only: set[str] | None = None, skip: frozenset[str] | set[str] = frozenset(),
                    failed: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
    """Duplicate IDs and unknown references, on every sheet, or on `only` those, or all but `skip`.
    `failed`: sheets that could not be read (their own errors say why): nothing is checked against them,
    so a missing column on Contracts is one error, not one per row that names a contract."""
    def wanted(sheet: str) -> bool:
        return (only is None or sheet in only) and sheet not in skip and sheet not in failed

    errors: list[Finding] = []
    for sheet, key in _KEYS:
        if wanted(sheet):
            errors.extend(_duplicates(book, sheet, key))
    for sheet, key_of, fld, what in _ONE_ROW_PER:
        if wanted(sheet):
            errors.extend(_one_row_per_key(book, sheet, key_of, fld, what))
    if wanted("Charges") and "Contracts" not in failed:
        errors.extend(_charge_contracts(book))
    known = {(target, key): _distinct(book, target, key) for _, _, target, key in _REFERENCES}
    for sheet, fld, target, key in _REFERENCES:
        if not wanted(sheet) or target in failed:
            continue
        ids = known[(target, key)]
        if _distinct(book, sheet, fld) <= ids | {None}:
            continue
        for rec in book.rows(sheet):
            value = getattr(rec, fld)
            if value is not None and value not in ids:
                errors.append(input_error(book.cell(rec, fld), f"unknown {fld}", show(value),
                                          f"an ID listed on the {target} sheet"))
    return errors
