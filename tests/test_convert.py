"""Spec section 1: every conversion rule of the one converter."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from xlbilling.core.terms import Terms
from xlbilling.io.convert import Bad, convert
from xlbilling.schema import Col, Kind, normalize


@pytest.mark.parametrize("header", ["Contract ID", "contract_id", "CONTRACT-ID", "contract.id", " Contract  Id "])
def test_headers_match_ignoring_case_spaces_underscores_hyphens_dots(header):
    assert normalize(header) == normalize("contract_id")


@pytest.mark.parametrize("value", [1001, 1001.0, "1001", " 1001 "])
def test_ids_typed_as_numbers_or_text_are_the_same(value):
    assert convert(Col("id", Kind.ID), value) == "1001"


@pytest.mark.parametrize("value,expected", [
    (date(2026, 3, 1), date(2026, 3, 1)),
    (datetime(2026, 3, 1, 14, 30), date(2026, 3, 1)),
    ("2026-03-01", date(2026, 3, 1)),
    ("2026-03-01 00:00:00", date(2026, 3, 1)),
    ("2024-02-29", date(2024, 2, 29)),
])
def test_dates_are_excel_dates_or_iso_text(value, expected):
    assert convert(Col("d", Kind.DATE), value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "03/01/2026", "1 March 2026", "46082", 46082.0, "2025-13-01"])
def test_anything_else_is_not_a_date(value):
    with pytest.raises(Bad):
        convert(Col("d", Kind.DATE), value)


def test_money_is_exact():
    col = Col("m", Kind.MONEY)
    assert convert(col, 0.1) + convert(col, 0.2) == Decimal("0.3")
    assert convert(col, "1200.50") == Decimal("1200.50")
    assert convert(col, 1500) == Decimal(1500)


@pytest.mark.parametrize("value", ["abc", "$1,200.00", "12,5", True, "NaN"])
def test_text_is_not_money(value):
    with pytest.raises(Bad):
        convert(Col("m", Kind.MONEY), value)


@pytest.mark.parametrize("value,expected", [(0.05, Decimal("0.05")), ("5%", Decimal("0.05")),
                                            ("0.05", Decimal("0.05")), ("8.25%", Decimal("0.0825"))])
def test_percentages(value, expected):
    assert convert(Col("p", Kind.PCT), value) == expected


def test_a_percentage_above_100_is_refused():
    with pytest.raises(Bad):
        convert(Col("p", Kind.PCT), 5)


@pytest.mark.parametrize("value,expected", [
    ("Y", True), ("yes", True), ("True", True), ("1", True), (1, True), (1.0, True), (True, True),
    ("N", False), ("No", False), ("FALSE", False), ("0", False), (0, False), (False, False),
])
def test_booleans(value, expected):
    assert convert(Col("b", Kind.BOOL), value) is expected


def test_a_bool_column_refuses_other_text():
    with pytest.raises(Bad):
        convert(Col("b", Kind.BOOL), "maybe")


@pytest.mark.parametrize("value", ["Monthly", "monthly", "MONTHLY", " Monthly "])
def test_enumerations_match_case_insensitively(value):
    assert convert(Col("f", Kind.ENUM, choices=("monthly", "annual")), value) == "monthly"


def test_enumeration_with_space_for_underscore():
    assert convert(Col("s", Kind.ENUM, choices=("active", "on_hold")), "On Hold") == "on_hold"


def test_unknown_enumeration_value():
    with pytest.raises(Bad) as exc:
        convert(Col("f", Kind.ENUM, choices=("monthly", "annual")), "weekly")
    assert "monthly" in exc.value.expected


@pytest.mark.parametrize("value,expected", [
    ("NET30", Terms(30)), ("Net 45", Terms(45)), ("DUE_ON_RECEIPT", Terms(0)),
    ("2/10 NET 30", Terms(30, Decimal("0.02"), 10)),
])
def test_payment_terms(value, expected):
    assert convert(Col("t", Kind.TERMS), value) == expected


@pytest.mark.parametrize("value", ["#N/A", "#REF!"])
def test_excel_error_values_are_refused(value):
    with pytest.raises(Bad):
        convert(Col("t", Kind.TEXT), value)


def test_one_text_of_a_cell_on_both_paths_and_one_value_for_every_writer():
    from datetime import date, datetime
    from decimal import Decimal

    from xlbilling.io.convert import cell_text, cell_value, to_text

    # fastexcel reads a TRUE cell of a text column as "true"; what xlwings gives becomes the same text
    assert (cell_text(True), to_text(True), cell_text(2.0), cell_text(datetime(2026, 3, 1))) == \
        ("true", "true", "2", "2026-03-01")
    assert cell_value(Decimal("1.10")) == 1.1 and cell_value(date(2026, 3, 1)) == datetime(2026, 3, 1)
    assert (cell_value(True), cell_value("=1+1")) == ("Y", "=1+1")  # text stays text: writers never make formulas
