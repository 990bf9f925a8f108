"""The schema (the data contract as data) and the typed records agree field for field."""

from xlbilling.core.models import RECORD_TYPES
from xlbilling.schema import LEDGER_SHEETS, SHEETS


def test_every_record_type_has_the_columns_of_its_sheet_in_order():
    for spec in (*SHEETS, *LEDGER_SHEETS):
        assert RECORD_TYPES[spec.name]._fields == (*(c.name for c in spec.columns), "row"), spec.name


def test_each_column_kind_matches_the_python_type_of_its_field():
    from datetime import date
    from decimal import Decimal
    from typing import get_type_hints

    from xlbilling.core.terms import Terms
    from xlbilling.schema import Kind

    python = {Kind.DATE: date, Kind.MONEY: Decimal, Kind.NUMBER: Decimal, Kind.PCT: Decimal, Kind.INT: int,
              Kind.BOOL: bool, Kind.TERMS: Terms}
    for spec in (*SHEETS, *LEDGER_SHEETS):
        hints = get_type_hints(RECORD_TYPES[spec.name])
        for c in spec.columns:
            allowed = set(getattr(hints[c.name], "__args__", (hints[c.name],))) - {type(None)}
            assert allowed == {python.get(c.kind, str)}, (spec.name, c.name)


def test_a_record_built_by_keyword_takes_each_columns_default():
    from decimal import Decimal

    import pytest

    from xlbilling.core.models import ContractLine, record

    line = record(ContractLine, line_id="L1", contract_id="A1", description="Backup", unit_price=Decimal("10"))
    assert (line.kind, line.quantity, line.tax_category, line.vendor_sku, line.row) == ("fixed", 1, "services", None, 0)
    with pytest.raises(TypeError, match="no column colour"):
        record(ContractLine, colour="red")
