"""The BILLING_ custom functions as plain functions: the values of the spec's rules, and a readable
error text (never an exception) for bad arguments."""

from datetime import datetime
from decimal import Decimal as D

import pytest

import udfs.billing as udfs
from xlbilling.excel import functions as f
from xlbilling.io.reader import read_book
from xlbilling.io.template import build_workbook
from xlbilling.sample import build_sample


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("udf") / "Sample.xlsx"
    rows, settings = build_sample()
    path.write_bytes(build_workbook(path, rows, settings))
    return read_book(path).book


def test_prorate_is_the_spec_example():
    assert f.prorate_amount(1500.0, datetime(2026, 3, 10), datetime(2026, 12, 31), datetime(2026, 3, 1),
                            datetime(2026, 3, 31)) == 1064.52
    assert f.prorate_amount(1500, "2026-03-01", "2026-03-31", "2026-03-01", "2026-03-31") == 1500.0
    assert f.prorate_amount(1500, "2026-04-01", "2026-04-30", "2026-03-01", "2026-03-31") == 0.0


def test_due_date_and_aging_bucket():
    assert f.due_date(datetime(2026, 11, 1), "2/10 NET 30") == datetime(2026, 12, 1)
    assert f.due_date("2026-11-01", "DUE_ON_RECEIPT") == datetime(2026, 11, 1)
    assert f.aging_bucket(datetime(2026, 9, 30), datetime(2026, 10, 31)) == "31-60"
    assert f.aging_bucket("2026-10-31", "2026-10-31") == "Current"
    assert f.aging_bucket("2026-09-30", "2026-10-31", "15,45") == "16-45"


def test_workbook_functions_on_the_sample(book):
    assert f.rate(book, None, "Remote Support", datetime(2026, 9, 30)) == 140.0
    assert f.rate(book, None, "Remote Support", datetime(2026, 10, 1)) == 150.0
    assert f.tax(book, 979.49, "TX-AUSTIN", "hardware", datetime(2026, 11, 1)) == float(D("80.81"))
    assert f.next_bill(book, "AGR-002", datetime(2026, 11, 1)) == datetime(2027, 2, 1)
    capped = next(c for c in book.contracts if c.not_to_exceed)
    assert f.cap_remaining(book, capped.contract_id) == float(capped.not_to_exceed)
    assert f.cap_remaining(book, "AGR-001") == "no cap"


@pytest.mark.parametrize("call", [
    lambda b: f.prorate_amount("lots", "2026-03-01", "2026-03-31", "2026-03-01", "2026-03-31"),
    lambda b: f.prorate_amount(100, "2026-02-30", "2026-03-31", "2026-03-01", "2026-03-31"),
    lambda b: f.prorate_amount(100, "2026-03-01", "2026-03-31", "2026-03-31", "2026-03-01"),
    lambda b: f.due_date("2026-11-01", "whenever"),
    lambda b: f.due_date(None, "NET30"),
    lambda b: f.aging_bucket("soon", "2026-10-31"),
    lambda b: f.rate(b, None, "Juggling", "2026-10-01"),
    lambda b: f.tax(b, 100, "ATLANTIS", "services", "2026-10-01"),
    lambda b: f.next_bill(b, "NO-SUCH"),
    lambda b: f.cap_remaining(b, "NO-SUCH"),
])
def test_bad_arguments_give_a_readable_error_text(book, call):
    result = call(book)
    assert isinstance(result, str) and result.startswith("#BILLING: ")


def test_every_udf_has_a_docstring_for_the_function_wizard():
    names = [n for n in dir(udfs) if n.startswith("BILLING_")]
    assert sorted(names) == ["BILLING_AGING_BUCKET", "BILLING_CAP_REMAINING", "BILLING_DUE_DATE",
                             "BILLING_NEXT_BILL", "BILLING_PRORATE", "BILLING_RATE", "BILLING_TAX"]
    for name in names:
        assert len(getattr(udfs, name).__doc__ or "") > 30, name


def test_workbook_udfs_read_the_calling_book(tmp_path):
    from .xlwings_standin import Book
    path = tmp_path / "Sample.xlsx"
    rows, settings = build_sample()
    path.write_bytes(build_workbook(path, rows, settings))
    book = Book.from_file(path)

    class Caller:  # what xlwings passes for Application.Caller: a range on a sheet of the book
        class sheet:
            pass
    Caller.sheet.book = book
    assert udfs.BILLING_RATE(None, "Onsite Support", datetime(2026, 10, 2), Caller) == 185.0
    assert udfs.BILLING_CAP_REMAINING("NO-SUCH", Caller).startswith("#BILLING: ")
