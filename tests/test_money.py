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


def test_every_rounding_goes_through_the_money_module():
    from pathlib import Path
    package = Path(__file__).parent.parent / "xlbilling"
    rounding_elsewhere = [str(p.relative_to(package)) for p in package.rglob("*.py")
                          if p.name != "money.py" and (".quantize(" in p.read_text() or "ROUND_" in p.read_text())]
    assert rounding_elsewhere == []


def test_the_amount_at_stake_rounds_half_up_like_the_bill():
    from datetime import date
    from xlbilling.audit.resolve import audited_close
    from xlbilling.core.items import Billed
    from xlbilling.core.models import Rate, record
    from .test_billing import book, contract, entry
    # 0.25 h x 110.10 = 27.525: billed as 27.53, so at stake 27.53 too (banker's rounding would say 27.52)
    b = book([contract(start=date(2026, 1, 1))], entries=[entry("E1", date(2026, 10, 5), Decimal("0.25"),
                                                                approved=False)],
             rates=[record(Rate, work_type="Remote", rate=Decimal("110.10"), row=2)])
    _, findings = audited_close(b, date(2026, 11, 1), None, Billed())
    [f] = [f for f in findings if f.code == "TIME_UNAPPROVED"]
    assert f.amount == Decimal("27.53")
