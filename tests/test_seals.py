"""Seals: digests of what a tab shows, and the sheets a run leaves as they are because they hold it."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from xlbilling.core.tabs import MONEY, TEXT, Column, Tab, content_digest, values_digest
from xlbilling.jobs import close_workbook, post_workbook
from xlbilling.io.package import CellEdit, Package, write_tabs
from xlbilling.io.reader import read_book

from .test_post import book, sheet

VALUE = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                  st.sampled_from([D("0"), D("-0"), D("1"), D("1.0"), D("1.00"), D("2.5")]),
                  st.dates(date(2026, 1, 1), date(2026, 1, 5)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(VALUE, VALUE), min_size=1, max_size=8), st.data())
def test_a_tab_s_digest_is_one_for_the_same_cells_and_another_for_any_other(rows, data):
    """The same cells (1.0 beside 1.00, 0 beside -0) give one digest; a cell of another value or kind
    (1 and True are equal, but one is a number and the other a tick), a row more or moved, a fill or a
    link: another."""
    columns = (Column("A", TEXT), Column("B", MONEY))
    tab = Tab("T", columns, rows)
    respelled = [tuple(v + D("0.000") if isinstance(v, D) else v for v in r) for r in rows]
    assert content_digest(Tab("T", columns, respelled)) == content_digest(tab)
    assert content_digest(Tab("T", columns, [(*r, "past the last column") for r in rows])) == content_digest(tab)
    k, i = data.draw(st.integers(0, len(rows) - 1)), data.draw(st.integers(0, 1))
    other = data.draw(VALUE.filter(lambda v: not (v == rows[k][i] and type(v) is type(rows[k][i]))))
    changed = [*rows[:k], tuple(other if j == i else v for j, v in enumerate(rows[k])), *rows[k + 1:]]
    assert content_digest(Tab("T", columns, changed)) != content_digest(tab)
    assert content_digest(Tab("T", columns, rows + rows[:1])) != content_digest(tab)
    if rows[0] != rows[-1]:
        assert content_digest(Tab("T", columns, [rows[-1], *rows[:-1]])) != content_digest(tab)
    assert content_digest(Tab("T", columns, rows, row_fills=["error"] + [None] * (len(rows) - 1))) != content_digest(tab)
    assert content_digest(Tab("T", columns, rows, links={(0, 0): "Contracts!A2"})) != content_digest(tab)


def test_equal_values_of_other_kinds_are_told_apart_only_when_asked():
    assert values_digest([[1, True]]) == values_digest([[1, 1]])  # as == compares draft lines
    assert values_digest([[1, True]], kinds=True) != values_digest([[1, 1]], kinds=True)


def test_discrepancies_are_left_as_they_are_while_the_findings_are_the_same(tmp_path, monkeypatch):
    """Post finds what the close found (on the same day): Discrepancies, sealed by its content, is left as
    the close wrote it, not rendered again. A new finding (time not approved) writes it again."""
    from xlbilling.io import sheetxml
    path = book(tmp_path)
    assert close_workbook(path, date(2026, 4, 1)).ok
    part = Package(path.read_bytes()).sheet("Discrepancies").part
    closed = Package(path.read_bytes()).info(part).CRC
    rendered, render = [], sheetxml.render_chunks
    monkeypatch.setattr("xlbilling.io.package.render_chunks", lambda tab, *a: rendered.append(tab.name) or render(tab, *a))
    assert close_workbook(path, date(2026, 4, 1)).ok and "Discrepancies" not in rendered
    assert Package(path.read_bytes()).info(part).CRC == closed
    shown = sheet(path, "Discrepancies")
    columns = read_book(path).book.columns["Timesheets"]
    path.write_bytes(write_tabs(path.read_bytes(), [], [CellEdit("Timesheets", columns["approved"], "", {2: "N"})]))
    assert close_workbook(path, date(2026, 4, 1)).ok and "Discrepancies" in rendered
    assert len(sheet(path, "Discrepancies")) == len(shown) + 1
    rendered.clear()
    assert post_workbook(path, date(2026, 4, 2)).ok
    assert "Discrepancies" not in rendered and "Discrepancies" in Package(path.read_bytes()).seals()


def test_a_seal_another_version_wrote_says_nothing(tmp_path, monkeypatch):
    """A tab sealed by another release of xlbilling (which may show the same rows otherwise: a column more,
    another format) is written again by this one, and sealed anew; an unchanged sheet of this version is kept."""
    from xlbilling.io import seals, sheetxml
    path = book(tmp_path)
    monkeypatch.setattr(seals, "__version__", "0.0.9")
    assert close_workbook(path, date(2026, 4, 1)).ok
    assert "Discrepancies" in Package(path.read_bytes()).seals()  # as that version reads them
    monkeypatch.undo()
    assert "Discrepancies" not in Package(path.read_bytes()).seals()
    rendered, render = [], sheetxml.render_chunks
    monkeypatch.setattr("xlbilling.io.package.render_chunks", lambda tab, *a: rendered.append(tab.name) or render(tab, *a))
    assert close_workbook(path, date(2026, 4, 1)).ok and "Discrepancies" in rendered
    assert "Discrepancies" in Package(path.read_bytes()).seals()
    rendered.clear()
    assert close_workbook(path, date(2026, 4, 1)).ok and "Discrepancies" not in rendered
