"""The period grid, proration and escalation at their boundaries (spec section 3, worked examples 1-2)."""

from datetime import date
from decimal import Decimal

from xlbilling.core.periods import Period, escalated, period_of, periods_between, prorate, whole_years


def test_quarterly_periods_count_from_the_start_month():
    start = date(2026, 2, 1)
    assert period_of(start, "quarterly", date(2026, 4, 30)) == Period(date(2026, 2, 1), date(2026, 4, 30))
    assert period_of(start, "quarterly", date(2026, 5, 1)) == Period(date(2026, 5, 1), date(2026, 7, 31))
    assert period_of(start, "quarterly", date(2027, 1, 15)) == Period(date(2026, 11, 1), date(2027, 1, 31))


def test_grid_starts_at_the_first_of_the_start_month_even_mid_month():
    assert period_of(date(2026, 3, 10), "monthly", date(2026, 3, 10)) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert period_of(date(2026, 3, 31), "annual", date(2027, 2, 28)) == Period(date(2026, 3, 1), date(2027, 2, 28))


def test_periods_between_overlapping():
    got = list(periods_between(date(2026, 1, 1), "monthly", date(2026, 1, 31), date(2026, 3, 1)))
    assert [p.start.month for p in got] == [1, 2, 3]


def test_leap_february_has_29_days():
    assert period_of(date(2024, 1, 1), "monthly", date(2024, 2, 10)).days == 29


def test_worked_example_1_proration():
    assert prorate(Decimal("1500.00"), 22, 31) == Decimal("1064.52")
    assert prorate(Decimal("1500.00"), 31, 31) == Decimal("1500.00")


def test_worked_example_2_escalation_on_the_anniversary():
    start = date(2026, 2, 1)
    assert whole_years(start, date(2027, 1, 31)) == 0
    assert whole_years(start, date(2027, 2, 1)) == 1
    assert escalated(Decimal("900.00"), Decimal("0.03"), 1) == Decimal("927.00")
    assert escalated(Decimal("900.00"), Decimal("0.03"), 2) == Decimal("954.81")


def test_leap_day_start_anniversary():
    assert whole_years(date(2024, 2, 29), date(2025, 2, 27)) == 0
    assert whole_years(date(2024, 2, 29), date(2025, 2, 28)) == 1
    assert whole_years(date(2024, 2, 29), date(2028, 2, 29)) == 4
