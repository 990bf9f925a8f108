"""Payment terms: NET<n>, DUE_ON_RECEIPT and early-pay terms such as 2/10 NET 30."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

_NET = re.compile(r"^NET\s*(\d{1,3})$")
_EARLY = re.compile(r"^(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d{1,3})\s+NET\s*(\d{1,3})$")


class Terms(NamedTuple):
    net_days: int
    discount_pct: Decimal | None = None  # 0.02 for "2/10 NET 30"
    discount_days: int | None = None

    def due_date(self, invoice_date: date) -> date:
        return invoice_date + timedelta(days=self.net_days)

    def discount_date(self, invoice_date: date) -> date | None:
        if self.discount_days is None:
            return None
        return invoice_date + timedelta(days=self.discount_days)

    def __str__(self) -> str:
        if self.discount_pct is not None:
            return f"{(self.discount_pct * 100).normalize()}/{self.discount_days} NET {self.net_days}"
        return "DUE_ON_RECEIPT" if self.net_days == 0 else f"NET{self.net_days}"


def parse_terms(text: str) -> Terms:
    """Parse payment terms; raises ValueError with what is expected."""
    t = re.sub(r"[\s_]+", " ", text.strip().upper())
    if t in ("DUE ON RECEIPT", "DUEONRECEIPT"):
        return Terms(0)
    m = _NET.match(t)
    if m:
        return Terms(int(m.group(1)))
    m = _EARLY.match(t)
    if m:
        pct, days, net = Decimal(m.group(1)) / 100, int(m.group(2)), int(m.group(3))
        if days > net:
            raise ValueError("the discount days must not exceed the net days")
        return Terms(net, pct, days)
    raise ValueError("NET<n>, DUE_ON_RECEIPT or <p>/<d> NET <n> such as 2/10 NET 30")
