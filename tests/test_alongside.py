"""Tabs made and rendered in a second process (io/forked.py, runner.alongside): post writes the same
workbook whether the second process makes its tabs, fails, or is not used at all."""

import os
import shutil
import zipfile
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest

from xlbilling import runner
from xlbilling.core.tabs import Column, Later, Tab
from xlbilling.io import forked, package
from xlbilling.io.package import Package, write_tabs
from xlbilling.jobs import close_workbook, post_workbook

SAMPLE = Path(__file__).parent.parent / "workbooks" / "SampleBilling.xlsx"
CLOSE = date(2026, 9, 1)

pytestmark = pytest.mark.skipif(not forked.available(), reason="fork is Linux's")


def _closed(tmp_path: Path) -> Path:
    path = tmp_path / "closed.xlsx"
    shutil.copy(SAMPLE, path)
    assert close_workbook(path, CLOSE).ok
    return path


def _posted(closed: Path, name: str) -> dict[str, bytes]:
    """Every part of the book posted, but the RunLog sheet's (which says when the run was)."""
    path = closed.with_name(name)
    shutil.copy(closed, path)
    result = post_workbook(path, CLOSE)
    assert result.ok, result.errors
    return _parts(path.read_bytes(), but="RunLog")


def _parts(data: bytes, but: str = "") -> dict[str, bytes]:
    skip = ref.part if but and (ref := Package(data).sheet(but)) else None
    with zipfile.ZipFile(BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != skip}


def _sheet(data: bytes, name: str) -> bytes:
    ref = Package(data).sheet(name)
    assert ref is not None
    with zipfile.ZipFile(BytesIO(data)) as z:
        return z.read(ref.part)


def test_post_writes_the_same_workbook_with_a_second_process_or_without(tmp_path, monkeypatch):
    closed = _closed(tmp_path)
    monkeypatch.setattr(runner, "APART_FROM", 10**9)
    alone = _posted(closed, "alone.xlsx")
    monkeypatch.setattr(runner, "APART_FROM", 0)
    monkeypatch.setattr(forked, "most_private", 0)
    apart = _posted(closed, "apart.xlsx")
    assert forked.most_private > 0  # the second process did hand its tabs back
    assert apart == alone


def test_a_second_process_that_fails_leaves_the_same_workbook(tmp_path, monkeypatch):
    closed = _closed(tmp_path)
    monkeypatch.setattr(runner, "APART_FROM", 10**9)
    alone = _posted(closed, "alone.xlsx")
    monkeypatch.setattr(runner, "APART_FROM", 0)

    def broken(data, later):
        raise MemoryError("the copy ran out of memory")

    monkeypatch.setattr(runner, "render_apart", broken)
    assert _posted(closed, "failed.xlsx") == alone
    monkeypatch.setattr(runner, "render_apart", lambda data, later: None)  # a tab needed a style not in the book
    assert _posted(closed, "declined.xlsx") == alone


def test_forked_work_hands_back_its_result_or_nothing():
    with forked.forked(lambda: {"cells": 42, "pid": os.getpid()}) as result:
        got = result()
    assert got["cells"] == 42 and got["pid"] != os.getpid()
    with forked.forked(lambda: 1 / 0) as result:
        assert result() is None
    with forked.forked(lambda: os._exit(3)) as result:
        assert result() is None


def test_leaving_before_the_result_stops_the_copy():
    import time
    with forked.forked(lambda: time.sleep(60)):
        pass  # the copy is stopped and reaped on the way out: no process is left behind
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def _tab(name: str, kind: str, value: object) -> Tab:
    return Tab(name, (Column("A", kind, 12), Column("B", "text", 50)), [(value, "-a risky text")] * 3,
               row_fills=["error", None, "warning"])


def test_a_style_has_the_same_number_whichever_tabs_come_first():
    """Every style a tab takes is asked for first, in a fixed order: so a tab rendered in another
    process, or after other tabs, carries the same style numbers as when it is written alone."""
    data = SAMPLE.read_bytes()
    money, day = _tab("TMoney", "money", Decimal("1.50")), _tab("TDay", "date", date(2026, 1, 2))
    alone = write_tabs(data, [money])
    one, other = write_tabs(data, [money, day]), write_tabs(data, [day, money])
    assert _parts(one)["xl/styles.xml"] == _parts(other)["xl/styles.xml"] == _parts(alone)["xl/styles.xml"]
    assert _sheet(one, "TMoney") == _sheet(other, "TMoney") == _sheet(alone, "TMoney")
    assert _sheet(one, "TDay") == _sheet(other, "TDay")


def test_tabs_made_later_come_in_the_tabs_order_and_must_be_the_ones_named(tmp_path):
    data = SAMPLE.read_bytes()
    first, second = _tab("TFirst", "int", 1), _tab("TSecond", "int", 2)
    later = write_tabs(data, [Later(("TFirst",), lambda: [first]), second])
    now = write_tabs(data, [first, second])
    assert _parts(later) == _parts(now)  # TFirst placed first, though made last
    with pytest.raises(ValueError, match="came as"):
        write_tabs(data, [Later(("TFirst",), lambda: [second])])
    assert package.render_apart(data, Later(("TFirst",), lambda: [first]))["TFirst"][0].size > 0
