"""The manager report: opens in LibreOffice, every chart draws from cells that hold its figures, and
its figures agree with the workbook's own tabs."""

import re
import zipfile
from datetime import date

import openpyxl

from xlbilling.core.report_data import TREND, plain_words
import pytest
import pypdf
import python_calamine

from xlbilling.report_job import write_manager_report
from xlbilling.jobs import close_workbook, post_workbook, refresh_workbook

from .test_post import book
from .office import convert

AS_OF = date(2026, 6, 15)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    path = book(tmp)
    for month in (4, 5):
        close_workbook(path, date(2026, month, 1))
        post_workbook(path, date(2026, month, 1))
    refresh_workbook(path, AS_OF)
    out = tmp / "Report.xlsx"
    assert write_manager_report(path, out, AS_OF).ok
    return path, out


def _ref(formula: str):
    sheet, cells = formula.rsplit("!", 1)
    return sheet.strip("'").replace("''", "'"), cells.replace("$", "")


def test_every_chart_series_points_at_the_figures(report):
    _, out = report
    wb = openpyxl.load_workbook(out)
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 5
    for xml in charts:
        values = re.findall(r"<c:val><c:numRef><c:f>([^<]+)</c:f>", xml)
        categories = re.findall(r"<c:cat><c:(?:str|num)Ref><c:f>([^<]+)</c:f>", xml)
        assert values and len(categories) == len(values)
        for formula in values:
            sheet, cells = _ref(formula)
            figures = [c.value for row in wb[sheet][cells] for c in row]
            assert figures and all(isinstance(v, (int, float)) for v in figures), formula
        for formula in categories:
            sheet, cells = _ref(formula)
            assert all(c.value not in (None, "") for row in wb[sheet][cells] for c in row), formula


def test_figures_agree_with_the_workbook_tabs(report):
    path, out = report
    tabs = python_calamine.load_workbook(path)
    rep = python_calamine.load_workbook(out)
    aging = tabs.get_sheet_by_name("ARAging").to_python()[1:]
    sheet = rep.get_sheet_by_name("AR Aging").to_python()
    start = next(i for i, r in enumerate(sheet) if r[0] == "Open balance by customer and days past due") + 2
    rep_aging = sheet[start:start + len(aging)]
    assert [r[:9] for r in rep_aging] == [r[:9] for r in aging]
    total = sheet[start + len(aging)]  # the Total row: the sums of the columns above, as values
    assert total[0] == "Total" and total[8] == pytest.approx(sum(r[8] for r in aging))
    # The chart's table: the largest balances, largest first, with customer names (and the rest as one row).
    end = next(i for i, r in enumerate(sheet) if i > 5 and not r[0])
    largest = sheet[5:end]
    totals = [r[sheet[4].index("Total")] for r in largest]
    positive = sorted((r for r in aging if r[8] > 0), key=lambda r: -r[8])
    assert largest[0][0] == positive[0][1] and totals[0] == pytest.approx(positive[0][8])
    assert totals[:12] == sorted(totals[:12], reverse=True) and sum(totals) == pytest.approx(sum(r[8] for r in positive))
    kpis = tabs.get_sheet_by_name("KPIs").to_python()
    titles = kpis[0]
    keep = [titles.index(t) for t in TREND]
    rows = rep.get_sheet_by_name("Summary").to_python()
    trend_start = next(i for i, r in enumerate(rows) if r[0] == "Last 12 months") + 2
    assert [r[:len(keep)] for r in rows[trend_start:trend_start + len(kpis) - 1]] == \
        [[r[k] for k in keep] for r in kpis[1:]]


def test_print_setup_and_frozen_panes(report):
    _, out = report
    ws = openpyxl.load_workbook(out)["AR Aging"]
    # fit to one page wide (fitToWidth defaults to 1), as many pages high as needed
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0 and ws.page_setup.fitToWidth in (None, 1)
    assert ws.print_title_rows == "$1:$2" and ws.freeze_panes == "A6"


def test_libreoffice_opens_and_renders_the_report(report, tmp_path):
    _, out = report
    done = convert(out, "pdf", tmp_path, tmp_path)
    pdf = tmp_path / "Report.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), done.stdout + done.stderr
    # What can be checked without eyes: every sheet prints one page wide, the pages stay few, and the
    # totals, names and plain words are on paper (codes are not all a manager sees).
    for ws in openpyxl.load_workbook(out).worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    pages = len(pypdf.PdfReader(pdf).pages)
    assert 9 <= pages <= 30, pages
    assert "Total" in text and "Acme Dental" in text and "Largest open balances" in text
    for page in pypdf.PdfReader(pdf).pages:  # every page opens with its sheet's title; no row is left alone
        lines = [ln for ln in page.extract_text().splitlines() if ln.strip()]
        assert len(lines) >= 2 and "as of" in lines[1], lines[:3]
        # title, subtitle and one row of figures cut from its table (a chart's page has its title instead)
        assert not (len(lines) == 3 and re.search(r"\d\.\d\d\b", lines[2])), lines
    kinds = [r for r in python_calamine.load_workbook(out).get_sheet_by_name("Discrepancies").to_python()[5:]
             if r and r[0] in ("error", "warning", "info")]
    assert kinds and all(r[1] and not re.fullmatch(r"[A-Z_]+", r[1]) and r[1] == plain_words(r[4]) for r in kinds)


def test_a_bar_chart_has_room_for_every_label_and_the_others_row_stays_out_of_it(report):
    path, out = report
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    aging = next(x for x in charts if "AR aging, largest balances" in x)
    categories = re.findall(r"<c:cat><c:strRef><c:f>([^<]+)</c:f>", aging)[0]
    sheet, cells = _ref(categories)
    names = [c.value for row in openpyxl.load_workbook(out)[sheet][cells] for c in row]
    assert names and not any(str(n).startswith("All ") for n in names) and len(names) <= 12
    tab = python_calamine.load_workbook(path).get_sheet_by_name("ARAging").to_python()
    owing = [r for r in tab[1:] if r[tab[0].index("Total")] > 0]
    assert len(names) == min(12, len(owing))  # one bar per customer shown, every label there
    for xml in charts:  # every chart's categories and values cover the same rows
        cats = re.findall(r"<c:cat><c:(?:str|num)Ref><c:f>[^!]+!\$[A-Z]+\$(\d+):\$[A-Z]+\$(\d+)</c:f>", xml)
        vals = re.findall(r"<c:val><c:numRef><c:f>[^!]+!\$[A-Z]+\$(\d+):\$[A-Z]+\$(\d+)</c:f>", xml)
        assert cats and all(v == cats[0] for v in vals) and all(c == cats[0] for c in cats)
    assert '<c:orientation val="maxMin"/>' in aging  # the largest balance on top
    assert aging.count("<c:ser>") == len(tab[0]) - 5  # a series per aging bucket (not ID, name, unapplied, ...)


def test_the_report_shows_dates_as_the_workbooks_locale_writes_them(tmp_path):
    from .books import write_book
    path = write_book(tmp_path / "b.xlsx", {
        "Settings": [["Setting", "Value"], ["locale", "en-GB"]],
        "Contracts": [["Contract ID", "Customer ID", "Start Date", "End Date"], ["AGR-1", "1001", "2026-01-01",
                                                                              "2026-12-31"]],
        "ContractLines": [["Line ID", "Contract ID", "Description", "Unit Price"], ["L1", "AGR-1", "Managed", 100]],
        "TaxRates": [["Jurisdiction", "Tax Category", "Rate"], ["TX", "services", 0]]})
    assert write_manager_report(path, tmp_path / "r.xlsx", date(2026, 11, 30)).ok
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Renewals"]
    dates = [c for row in ws.iter_rows() for c in row if c.is_date]
    assert dates and all(c.number_format == "dd/mm/yyyy" for c in dates)
