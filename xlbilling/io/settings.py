"""The Settings sheet (two columns: setting, value) parsed into the typed `Settings` model."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.cells import cell_name
from ..core.findings import Finding, input_error, show
from ..core.models import Settings
from ..schema import SETTINGS_DEFAULTS, Col, Kind, normalize
from .gl_export import BC_DATE_FORMATS
from .convert import Bad, convert, no_line_breaks, to_email, to_text

_KINDS: dict[str, str] = {
    "default_payment_terms": "terms",
    "aging_buckets": "buckets",
    "next_invoice_number": "count",
    "next_credit_memo_number": "count",
    "amount_change_threshold": "pct",
    "expiry_warning_days": "count",
    "max_daily_hours": "number",
    "reminder_1_days": "count",
    "reminder_2_days": "count",
    "final_notice_days": "count",
    "escalate_days": "count",
    "smtp_port": "count",
    "backups_kept": "count",
    "company_email": "email",
    "email_from": "email",
    "company_name": "line",  # it goes into the From header of every message
    "smtp_host": "line",
    "smtp_user": "line",
    "time_zone": "zone",
    "gp_first_journal_entry": "count",
    "bc_date_format": "bc_date",
}


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
    number = convert(Col("n", Kind.INT), value)
    if number < 0:
        raise Bad("a whole number, 0 or more")
    return number


def _value(kind: str, value: object):
    if kind == "terms":
        return convert(Col("t", Kind.TERMS), value)
    if kind == "buckets":
        return _buckets(to_text(value))
    if kind == "count":
        return _count(value)
    if kind == "pct":
        return convert(Col("p", Kind.PCT), value)
    if kind == "number":
        return convert(Col("n", Kind.NUMBER), value)
    if kind == "email":
        return to_email(value)
    if kind == "line":
        return no_line_breaks(to_text(value))
    if kind == "zone":
        return _zone(to_text(value))
    if kind == "bc_date":
        return _bc_date(to_text(value))
    return to_text(value)


def parse_settings(sheet: str, rows: list[tuple[str, object, int]], value_col: int) -> tuple[Settings, list[Finding]]:
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    where: dict[str, int] = {}
    errors: list[Finding] = []
    known = {normalize(k): k for k in SETTINGS_DEFAULTS}
    for name, value, row in rows:
        key = known.get(normalize(name))
        if key is None:
            extra[str(name).strip().lower()] = "" if value is None else to_text(value)
            continue
        where[key] = row
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            values[key] = _value(_KINDS.get(key, "text"), value)
        except Bad as exc:
            errors.append(input_error(cell_name(sheet, row, value_col), f"setting {key} is not valid", show(value),
                                      exc.expected))
    if isinstance(values.get("max_daily_hours"), Decimal) and values["max_daily_hours"] <= 0:
        errors.append(input_error(cell_name(sheet, where["max_daily_hours"], value_col),
                                  "setting max_daily_hours is not valid",
                                  show(values["max_daily_hours"]), "a number of hours above 0"))
    return Settings(**values, extra=extra, rows=where), errors
