"""The CreditMemos tab: every credit memo (a credit adjustment, numbered in date order by receivables)
with when `send` e-mailed it. A memo's sent marks are kept from run to run by the adjustment it comes
from, and a memo beyond a run's as-of date keeps its row as it was."""

from __future__ import annotations

from ..schema import CREDIT_MEMOS
from .models import Book, CreditMemoRow
from .receivables import Receivables
from .register import spec_columns
from .tabs import Tab


def credit_memo_rows(book: Book, ar: Receivables) -> list[CreditMemoRow]:
    before = {r.adjustment_id: r for r in book.credit_memo_rows}
    rows = []
    for memo in ar.credit_memos:
        a = memo.adjustment
        item = ar.invoices[a.invoice_number]
        old = before.pop(a.adjustment_id, None)
        rows.append(CreditMemoRow(memo.number, a.date, a.invoice_number, item.header.customer_id, a.amount, a.reason,
                                  a.adjustment_id, old.sent_at if old else None, old.sent_to if old else None,
                                  old.message_id if old else None, 0))
    return rows + sorted(before.values(), key=lambda r: (r.date, r.adjustment_id))


def credit_memos_tab(rows: list[CreditMemoRow]) -> Tab:
    return Tab(CREDIT_MEMOS.name, spec_columns(CREDIT_MEMOS), list(rows), tab_color="FF548235")
