"""`xlbilling new`: the empty master workbook and the sample book."""

import zipfile

import openpyxl
import pytest

from xlbilling.cli import main
from xlbilling.io.reader import read_book
from pathlib import Path

from xlbilling.schema import SETTINGS_DEFAULTS, SHEETS

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def empty_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("new") / "Master.xlsx"
    assert main(["new", str(path)]) == 0
    return path


def test_every_input_sheet_is_a_table_with_title_case_headers(empty_book):
    wb = openpyxl.load_workbook(empty_book)
    assert wb.sheetnames == ["Start here", "Settings", *[s.name for s in SHEETS]]
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [c.title for c in spec.columns]
        assert f"tbl{spec.name}" in ws.tables
        assert ws.freeze_panes == "A2"
    assert wb["Contracts"]["A1"].value == "Contract ID"


def test_dropdowns_for_enumerations_and_yes_no_columns(empty_book):
    ws = openpyxl.load_workbook(empty_book)["Contracts"]
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists["G"] == '"monthly,quarterly,semiannual,annual"'  # Billing Frequency
    ws = openpyxl.load_workbook(empty_book)["Customers"]
    assert any(dv.formula1 == '"Y,N"' for dv in ws.data_validations.dataValidation)


def test_number_formats(empty_book):
    ws = openpyxl.load_workbook(empty_book)["Contracts"]
    assert ws.column_dimensions["E"].width > 10
    assert ws.column_dimensions["E"].number_format == "yyyy-mm-dd"  # Start Date
    assert ws.column_dimensions["J"].number_format == "0.00%"  # Escalation Pct
    assert ws.column_dimensions["L"].number_format == "#,##0.00"  # Overage Rate


def test_settings_hold_the_defaults(empty_book):
    ws = openpyxl.load_workbook(empty_book)["Settings"]
    values = {r[0]: r[1] or "" for r in ws.iter_rows(min_row=2, values_only=True)}
    assert values == SETTINGS_DEFAULTS


def test_the_empty_book_validates(empty_book):
    result = read_book(empty_book)
    assert result.ok and result.book.customers == ()


def test_xlsm_is_macro_enabled(tmp_path):
    path = tmp_path / "Master.xlsm"
    assert main(["new", str(path)]) == 0
    with zipfile.ZipFile(path) as z:
        assert b"macroEnabled.main+xml" in z.read("[Content_Types].xml")


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "Master.xlsx"
    assert main(["new", str(path)]) == 0
    assert main(["new", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["new", str(path), "--force"]) == 0


def test_the_sample_validates_with_no_input_errors(tmp_path):
    path = tmp_path / "Sample.xlsx"
    assert main(["new", str(path), "--sample"]) == 0
    result = read_book(path)
    assert result.errors == []
    counts = result.row_counts
    assert 35 <= counts["Customers"] <= 45 and 70 <= counts["Contracts"] <= 90 and counts["Timesheets"] > 3000
    book = result.book
    assert len({c.tax_jurisdiction for c in book.customers}) >= 4
    assert len({e.technician for e in book.time_entries}) == 15
    assert {c.billing_frequency for c in book.contracts} == {"monthly", "quarterly", "semiannual", "annual"}
    assert {c.billing_timing for c in book.contracts} == {"advance", "arrears"}
    assert any(c.status == "on_hold" for c in book.contracts)
    assert any(c.included_hours for c in book.contracts) and any(c.not_to_exceed for c in book.contracts)
    assert any(not e.approved for e in book.time_entries)
    assert any(c.tax_exempt and c.exemption_expiry and c.exemption_expiry.year == 2026 for c in book.customers)
    assert any(r.effective_from for r in book.rates) and book.milestones and book.charges and book.payments


def test_the_bundled_sample_is_the_generated_one(tmp_path):
    from pathlib import Path
    bundled = Path(__file__).parent.parent / "workbooks" / "SampleBilling.xlsx"
    assert read_book(bundled).errors == []
    path = tmp_path / "SampleBilling.xlsx"
    main(["new", str(path), "--sample"])
    assert path.read_bytes() == bundled.read_bytes(), "run python workbooks/build.py to rebuild the bundled books"


def test_the_readme_and_the_guide_list_every_registered_check():
    import sys

    from xlbilling.audit import RULES, rules_markdown
    from xlbilling.core.rules import REGISTRY

    sys.path.insert(0, str(ROOT / "workbooks"))
    from build import with_rule_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_rule_table(readme) == readme and rules_markdown() in readme  # rebuilt by workbooks/build.py
    assert {r.code for r in RULES} == set(REGISTRY)
    guide = [c.value for row in openpyxl.load_workbook(ROOT / "workbooks" / "BillingTemplate.xlsx")["Start here"]
             .iter_rows() for c in row if c.value]
    for r in RULES:
        assert any(line.startswith(f"{r.code} ({r.severity}): ") and r.action in line for line in guide), r.code
