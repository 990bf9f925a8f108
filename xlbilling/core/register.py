"""The InvoiceRegister and InvoiceLines tabs (spec section 5): posted invoices first, in number order,
then the drafts of the last close. Their columns are the schema's, so they read back as they were written."""

from __future__ import annotations

from collections.abc import Iterable

from ..schema import INVOICE_LINES, REGISTER, Kind, SheetSpec
from .models import InvoiceLineRow, RegisterRow
from .terms import Terms
from .tabs import DATE, INT, MONEY, NUMBER, PCT, TEXT, Column, Tab

_TAB_KIND = {Kind.DATE: DATE, Kind.MONEY: MONEY, Kind.NUMBER: NUMBER, Kind.INT: INT, Kind.PCT: PCT}
_FILLS = {"on_hold": "warning"}


def spec_columns(spec: SheetSpec) -> tuple[Column, ...]:
    return tuple(Column(c.title, _TAB_KIND.get(c.kind, TEXT), c.width) for c in spec.columns)


def _cells(record: tuple) -> tuple:
    """A record's values as cells: everything but its source row, terms as their text."""
    return tuple(str(v) if isinstance(v, Terms) else v for v in record[:-1])


def register_tab(headers: Iterable[RegisterRow]) -> Tab:
    headers = list(headers)
    return Tab(REGISTER.name, spec_columns(REGISTER), [_cells(h) for h in headers],
               row_fills=[_FILLS.get(h.status) for h in headers])


def lines_tab(lines: Iterable[InvoiceLineRow]) -> Tab:
    return Tab(INVOICE_LINES.name, spec_columns(INVOICE_LINES), list(lines))  # the records: their rows are not written
