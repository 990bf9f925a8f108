"""What a close bills, item by item, and the rates and history it bills them against."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Iterable

from .models import Rate


class Item(NamedTuple):
    key: str  # stable identity of what is billed: never billed twice
    source_type: str  # recurring / time / overage / included (hours a block covers, at no charge) / milestone / charge
    source_id: str
    customer_id: str
    contract_id: str | None
    description: str
    service_start: date
    service_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_category: str
    po_number: str | None
    where: str  # the source cell
    entry_ids: tuple[str, ...] = ()
    revenue_account: str | None = None


class Billed(NamedTuple):
    """What posted invoices already hold: item keys, billed entries, T&M billed per contract."""

    keys: frozenset[str] = frozenset()
    entries: frozenset[str] = frozenset()
    time_billed: dict[str, Decimal] = {}


class RateBook:
    """Rates by (contract or None, work type), effective-dated; contract rates win over defaults."""

    def __init__(self, rates: Iterable[Rate]):
        self._by: dict[tuple[str | None, str], list[Rate]] = defaultdict(list)
        for r in rates:
            self._by[(r.contract_id, r.work_type.strip().lower())].append(r)
        self._cache: dict[tuple[str | None, str, date], Decimal | None] = {}

    def rate(self, contract_id: str | None, work_type: str, day: date) -> Decimal | None:
        wt = work_type.strip().lower()
        if (contract_id, wt) in self._by:
            found = self._in_effect((contract_id, wt), day)
            if found is not None:
                return found
        key = (None, wt, day)  # default rates: a few work types and days, looked up once each
        if key not in self._cache:
            self._cache[key] = self._in_effect((None, wt), day)
        return self._cache[key]

    def _in_effect(self, key: tuple[str | None, str], day: date) -> Decimal | None:
        found = [r for r in self._by.get(key, ()) if (r.effective_from is None or r.effective_from <= day)
                 and (r.effective_to is None or day <= r.effective_to)]
        return max(found, key=lambda r: (r.effective_from or date.min, r.row)).rate if found else None
