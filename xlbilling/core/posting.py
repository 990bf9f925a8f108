"""Posting: drafts become numbered invoices that never change, and posted invoices say what is billed.

Posted invoices live in the ledger (core/ledger.py), shown in the InvoiceRegister and InvoiceLines
tabs. Each carries a fingerprint of its figures, so a hand edit is found (POSTED_INVOICE_CHANGED)
instead of silently believed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import partial
from itertools import compress
from operator import itemgetter, not_
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

from .due import recurring_key
from .findings import Finding, not_posted, show
from .items import Billed
from .ledger import fingerprint, ledger_headers, ledger_rows, number_key
from .invoicing import Draft
from .models import Book, InvoiceLineRow, RegisterRow, number
from .money import ZERO


def draft_rows(draft: Draft, through: date, invoice_number: str | None = None
               ) -> tuple[RegisterRow, list[InvoiceLineRow]]:
    """A draft as register and line rows (row 0: not yet in the workbook); its lines carry the invoice
    number it is posted as, if given."""
    discount = draft.discount
    header = RegisterRow(
        invoice_number=None, draft_id=draft.draft_id, status=draft.status, customer_id=draft.customer_id,
        contract_id=draft.contract_id, invoice_date=draft.invoice_date, usage_through=through,
        due_date=draft.due_date, terms=draft.terms, po_number=draft.po_number, subtotal=draft.subtotal,
        tax=draft.tax, total=draft.total, paid=ZERO, credited=ZERO, written_off=ZERO, discount=ZERO,
        balance=draft.total, discount_date=discount[0] if discount else None,
        discount_amount=discount[1] if discount else None, lines=len(draft.lines),
        hold_reasons="; ".join(draft.holds) or None, posted_on=None, fingerprint=None)
    draft_id = draft.draft_id
    lines = [_line((  # InvoiceLineRow's fields in order (a first close makes hundreds of thousands of lines)
        invoice_number, draft_id, ln.line_no, it.contract_id, it.source_type, it.source_id, it.description,
        it.service_start, it.service_end, it.quantity, it.unit_price, it.amount, it.tax_category, ln.tax_rate,
        it.where, " ".join(it.entry_ids) or None, it.revenue_account, 0))
        for ln in draft.lines for it in (ln.item,)]
    return header, lines


_line = partial(tuple.__new__, InvoiceLineRow)  # a line from its fields, in order: made in C


def posted(book: Book) -> tuple[list[RegisterRow], dict[str, list[InvoiceLineRow]]]:
    """The posted invoices of the workbook (in number order, from its ledger) and their lines."""
    headers, all_lines = ledger_rows(book)
    lines: dict[str, list[InvoiceLineRow]] = defaultdict(list)
    for ln in all_lines:
        lines[number(ln)].append(ln)
    return _in_number_order(headers), lines


def posted_headers(book: Book) -> list[RegisterRow]:
    """The posted invoices of the workbook, in number order, without their lines."""
    return _in_number_order(ledger_headers(book))


def _in_number_order(headers: Iterable[RegisterRow]) -> list[RegisterRow]:
    return sorted(headers, key=lambda r: number_key(r.invoice_number))


def billed_by(lines: Iterable[InvoiceLineRow]) -> Billed:
    """What posted invoice lines already bill: item keys, time entries, and T&M billed per contract."""
    keys, entries = set(), set()
    time_billed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in lines:
        if not ln.invoice_number:
            continue
        if ln.source_type == "recurring":
            keys.add(recurring_key(ln.source_id, ln.service_start))
        elif ln.source_type in ("milestone", "charge"):
            keys.add(f"{ln.source_type}:{ln.source_id}")
        else:
            entries.update((ln.entry_ids or "").split())
            if ln.contract_id:
                time_billed[ln.contract_id] += ln.amount
    return Billed(frozenset(keys), frozenset(entries), dict(time_billed))


def next_number(book: Book, headers: list[RegisterRow]) -> int:
    prefix = book.settings.invoice_prefix
    numbers = [number(h) for h in headers]
    used = [int(n[len(prefix):]) for n in numbers if n.startswith(prefix) and n[len(prefix):].isdigit()]
    return max([book.settings.next_invoice_number, *(n + 1 for n in used)])


class PostResult(NamedTuple):
    invoices: list[tuple[RegisterRow, list[InvoiceLineRow]]]  # newly posted
    held: list[Draft]


def post(book: Book, drafts: list[Draft], through: date, posted_on: date) -> PostResult:
    """Number every draft not on hold, in draft order, gaplessly after the last posted invoice."""
    headers = posted_headers(book)
    number = next_number(book, headers)
    prefix = book.settings.invoice_prefix
    out = []
    for draft in drafts:
        if draft.holds:
            continue
        inv = f"{prefix}{number}"
        number += 1
        header, lines = draft_rows(draft, through, inv)
        header = header._replace(invoice_number=inv, status="posted", hold_reasons=None, posted_on=posted_on)
        out.append((header._replace(fingerprint=fingerprint(header, lines)), lines))
    return PostResult(out, [d for d in drafts if d.holds])


_AFTER_KEY = slice(3, -1)  # an InvoiceLineRow's fields after its number and key (draft, line number), but its row
_SHOWN = InvoiceLineRow._fields[_AFTER_KEY]
_NUMBER, _LINE, _FIELDS = itemgetter(0), itemgetter(slice(1, -1)), itemgetter(_AFTER_KEY)


def _same(shown: object, made: object) -> bool:
    """A value on the sheet is the one the close wrote: a blank is blank, a number is the number written
    (read back through the sheet's binary floats when it has more digits than they keep)."""
    if shown in (None, "") or made in (None, ""):
        return shown in (None, "") and made in (None, "")
    if isinstance(shown, Decimal) and isinstance(made, Decimal):
        return shown == made or float(shown) == float(made)
    return shown == made


def edited_drafts(book: Book, made: Iterable[InvoiceLineRow]) -> list[Finding]:
    """Draft lines on InvoiceLines that differ from the same drafts made afresh (`made`, numbered or
    not, in draft order as the close lists them): a hand edit there is not what post would issue, since
    post makes invoices from the inputs. Each edited cell, each line added by hand and each line deleted
    is an error naming where it is."""
    made = list(made)
    columns = book.columns.get("InvoiceLines", {})
    fields = [f for f in _SHOWN if f in columns]
    whole = len(fields) == len(_SHOWN)
    shown = list(compress(book.invoice_lines, map(not_, map(_NUMBER, book.invoice_lines))))
    if whole and list(map(_LINE, shown)) == list(map(_LINE, made)):
        return []  # the common case, at C speed: the draft lines on the sheet, in order, as the close wrote them
    fresh = {(ln.draft_id, ln.line_no): ln for ln in made}
    errors: list[Finding] = []

    def edited(where: str, message: str, found: str, expected: str) -> None:
        errors.append(not_posted(where, message, found, expected))

    seen = set()
    for ln in shown:
        key = (ln.draft_id, ln.line_no)
        was = fresh.get(key)
        if was is None or key in seen:
            edited(book.cell(ln), f"InvoiceLines row {ln.row} is line {ln.line_no} of draft {ln.draft_id}, which "
                   "the close did not make (a row added or copied by hand)", f"line {ln.line_no}", "no such line")
            continue
        seen.add(key)
        if whole and _FIELDS(ln) == _FIELDS(was):
            continue
        for f in fields:
            if not _same(getattr(ln, f), getattr(was, f)):
                edited(book.cell(ln, f), f"line {ln.line_no} of draft {ln.draft_id} was edited on InvoiceLines "
                       "after the close", show(getattr(ln, f)), f"{show(getattr(was, f))}, as closed")
    for draft_id, line_no in sorted(fresh.keys() - seen, key=lambda k: (k[0] or "", k[1])):
        edited("InvoiceLines", f"line {line_no} of draft {draft_id} was deleted from InvoiceLines after the close",
               "no row for it", f"line {line_no} of {draft_id}")
    return errors
