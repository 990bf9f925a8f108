"""Amounts and dates on documents as the workbook's `locale` writes them (Babel, with the Unicode CLDR
data): en-US 1,234.56 and Nov 30, 2026; en-GB 30 Nov 2026; de-DE 1.234,56 and 30.11.2026. Without a
locale, documents keep the workbook's own forms: 1,234.56 and 2026-11-30. The paper is Letter where
the region uses it, else A4."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

LETTER_REGIONS = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "PR"}


class Formats:
    def __init__(self, locale: str = "", currency: str = "USD"):
        self.currency = currency
        self._locale: Any = None  # a babel Locale once a locale is set
        self._money: Any = None  # its number pattern for amounts, made on first use
        if locale:
            from babel import Locale

            self._locale = Locale.parse(locale.replace("-", "_"))

    @property
    def paper(self) -> str:
        if self._locale is None or (self._locale.territory or "US") in LETTER_REGIONS:
            return "Letter"
        return "A4"

    def money(self, amount: Decimal | None) -> str:
        """An amount with two decimals, grouped as the locale groups it (no currency sign)."""
        if amount is None:
            return ""
        if self._locale is None:
            return f"{amount:,.2f}"
        if self._money is None:
            from babel.numbers import parse_pattern

            self._money = parse_pattern(self._locale.decimal_formats[None].pattern)  # the locale's grouping
            self._money.frac_prec = (2, 2)
        return self._money.apply(amount, self._locale)

    def day(self, d: date, length: str = "medium") -> str:
        """A date as the locale writes it (`short`: digits only, for narrow columns)."""
        if self._locale is None:
            return d.isoformat()
        from babel.dates import format_date

        if length == "short":  # four-digit years whatever the locale's short pattern says
            pattern = self._locale.date_formats["short"].pattern.replace("yyyy", "y").replace("yy", "y")
            return format_date(d, pattern.replace("y", "yyyy"), locale=self._locale)
        return format_date(d, length, locale=self._locale)

    def period(self, start: date, end: date) -> str:
        return self.day(start, "short") if start == end else f"{self.day(start, 'short')} to {self.day(end, 'short')}"

    def excel_date_format(self) -> str:
        """The number format a spreadsheet shows this locale's dates in (digits, four-digit years)."""
        if self._locale is None:
            return "yyyy-mm-dd"
        pattern = self._locale.date_formats["short"].pattern
        out, k = [], 0
        while k < len(pattern):
            ch = pattern[k]
            run = len(pattern[k:]) - len(pattern[k:].lstrip(ch)) if ch.isalpha() else 1
            out.append({"y": "yyyy", "M": "mm" if run >= 2 else "m", "d": "dd" if run >= 2 else "d"}.get(ch, ch * run)
                       if ch.isalpha() else ch)
            k += run
        return "".join(out)
