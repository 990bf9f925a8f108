"""The InvoiceRegister and InvoiceLines tabs (spec section 5): posted invoices first, in number order,
then the drafts of the last close. Their columns are the schema's, so they read back as they were written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress
from operator import itemgetter, not_
from typing import cast

from ..schema import INVOICE_LINES, REGISTER, Kind, SheetSpec
from .models import InvoiceLineRow, RegisterRow
from .terms import Terms
from .tabs import DATE, INT, MONEY, NUMBER, PCT, TEXT, Column, Tab, values_digest

_TAB_KIND = {Kind.DATE: DATE, Kind.MONEY: MONEY, Kind.NUMBER: NUMBER, Kind.INT: INT, Kind.PCT: PCT}
_FILLS = {"on_hold": "warning"}


def spec_columns(spec: SheetSpec) -> tuple[Column, ...]:
    return tuple(Column(c.title, _TAB_KIND.get(c.kind, TEXT), c.width) for c in spec.columns)


_TERMS = RegisterRow._fields.index("terms")


def _cells(header: RegisterRow) -> tuple:
    """A header's values as cells: everything but its source row, its terms as their text."""
    terms = header[_TERMS]
    return (*header[:_TERMS], str(terms) if isinstance(terms, Terms) else terms, *header[_TERMS + 1:-1])


def register_tab(headers: Iterable[RegisterRow]) -> Tab:
    headers = list(headers)
    return Tab(REGISTER.name, spec_columns(REGISTER), [_cells(h) for h in headers],
               row_fills=[_FILLS.get(h.status) for h in headers])


_NUMBER = itemgetter(0)


def lines_tab(lines: Iterable[InvoiceLineRow]) -> Tab:
    """The lines (the records: their rows are not written), sealed by the digest of the drafts' lines
    among them (those with no invoice number)."""
    rows = list(lines)
    drafts = list(compress(rows, map(not_, map(_NUMBER, rows))))
    return Tab(INVOICE_LINES.name, spec_columns(INVOICE_LINES), cast("list[tuple]", rows),
               seal=draft_lines_digest(drafts))


_SHOWN_FIELDS = [itemgetter(i) for i in range(1, len(InvoiceLineRow._fields) - 1)]  # but the number and the row


def draft_lines_digest(lines: Sequence[InvoiceLineRow]) -> str:
    """A digest of draft lines as InvoiceLines shows them, in order: every field but the invoice number
    and the row. Lines equal field by field (as `==` compares them) give the same digest."""
    return values_digest(list(map(field, lines)) for field in _SHOWN_FIELDS)
