"""The Settings sheet (two columns: setting, value) parsed into the typed `Settings` model."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.cells import cell_name
from ..core.findings import Finding, input_error, show
from ..core.models import Settings
from ..schema import Col, Kind, normalize
from .gl_export import BC_DATE_FORMATS
from .convert import Bad, convert, no_line_breaks, to_email, to_number, to_text, to_whole

def _buckets(text: str) -> tuple[int, ...]:
    try:
        bounds = tuple(int(p.strip()) for p in text.split(",") if p.strip())
    except ValueError:
        raise Bad("increasing whole numbers of days separated by commas, such as 30,60,90") from None
    if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise Bad("increasing whole numbers of days separated by commas, such as 30,60,90")
    return bounds


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Bad("an IANA time zone such as America/Chicago, Europe/London or UTC") from None
    return name


def _bc_date(text: str) -> str:
    pattern = text.strip().upper()
    if pattern not in BC_DATE_FORMATS:
        raise Bad("one of " + ", ".join(BC_DATE_FORMATS))
    return pattern


def _count(value: object) -> int:
    number = to_whole(value)
    if number < 0:
        raise Bad("a whole number, 0 or more")
    return number


def _hours(value: object) -> Decimal:
    hours = to_number(value)
    if hours <= 0:
        raise Bad("a number of hours above 0")
    return hours


def _value(kind: str, value: object):
    if kind == "terms":
        return convert(Col("t", Kind.TERMS), value)
    if kind == "buckets":
        return _buckets(to_text(value))
    if kind == "count":
        return _count(value)
    if kind == "pct":
        return convert(Col("p", Kind.PCT), value)
    if kind == "hours":
        return _hours(value)
    if kind == "email":
        return to_email(value)
    if kind == "line":
        return no_line_breaks(to_text(value))
    if kind == "zone":
        return _zone(to_text(value))
    if kind == "bc_date":
        return _bc_date(to_text(value))
    if kind == "locale":
        return _locale(to_text(value))
    return to_text(value)


def _locale(text: str) -> str:
    """A language and region as documents are written in it (en-US, en-GB, en-PK, de-DE)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(text.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise Bad("a language and region such as en-US, en-GB, en-PK or de-DE") from None
    return text


def parse_settings(sheet: str, rows: list[tuple[str, object, int]], value_col: int) -> tuple[Settings, list[Finding]]:
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    where: dict[str, int] = {}
    errors: list[Finding] = []
    declared = Settings.declared()
    known = {normalize(k): k for k in declared}
    for name, value, row in rows:
        key = known.get(normalize(name))
        if key is None:
            extra[str(name).strip().lower()] = "" if value is None else to_text(value)
            continue
        where[key] = row
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            values[key] = _value(declared[key][0].kind, value)
        except Bad as exc:
            errors.append(input_error(cell_name(sheet, row, value_col), f"setting {key} is not valid", show(value),
                                      exc.expected))
    return Settings.model_validate({**values, "extra": extra, "rows": where}), errors
