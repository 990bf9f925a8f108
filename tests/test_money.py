"""Money: one rounding function, half-up to cents, refusing binary floats."""

from decimal import Decimal

import pytest

from xlbilling.core.money import round_cents


@pytest.mark.parametrize("value,expected", [("1064.516", "1064.52"), ("0.005", "0.01"), ("0.015", "0.02"),
                                            ("2.675", "2.68"), ("-0.005", "-0.01"), ("80.80792", "80.81")])
def test_half_up_to_cents(value, expected):
    assert round_cents(Decimal(value)) == Decimal(expected)


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        round_cents(0.1 + 0.2)
