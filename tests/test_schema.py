"""The schema (the data contract as data) and the typed records agree field for field."""

from xlbilling.core.models import RECORD_TYPES
from xlbilling.schema import LEDGER_SHEETS, SHEETS


def test_every_record_type_has_the_columns_of_its_sheet_in_order():
    for spec in (*SHEETS, *LEDGER_SHEETS):
        assert RECORD_TYPES[spec.name]._fields == (*(c.name for c in spec.columns), "row"), spec.name
