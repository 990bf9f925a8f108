"""Runs on one book at once (issue 13): the lock holds at every step, a killed run leaves no lock
behind, and a write never lands on a version of the book it did not read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xlbilling.cli import main

from .test_month import month_book

ROOT = Path(__file__).parent.parent


def start(step: str, seconds: float, *argv: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.paused_run", step, str(seconds), *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until it is paused there
        if line.startswith("paused at"):
            return proc
    raise AssertionError(f"the run never reached {step}: {proc.wait()}")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", "-lock")))


@pytest.mark.parametrize("step", ["read", "write", "replace"])
def test_a_second_run_is_refused_while_the_first_holds_the_book(tmp_path, capsys, step):
    path = month_book(tmp_path)
    first = start(step, 1.5, "close", str(path), "--date", "2026-11-01")
    capsys.readouterr()
    assert main(["post", str(path), "--date", "2026-11-01"]) == 1
    assert f"another xlbilling run (process {first.pid} on" in capsys.readouterr().err
    assert first.wait() == 0
    assert main(["post", str(path), "--date", "2026-11-01"]) == 0
    assert leftovers(tmp_path) == []


def test_three_runs_at_once_one_works_the_others_are_refused(tmp_path):
    path = month_book(tmp_path)
    runs = [subprocess.Popen([sys.executable, "-m", "tests.paused_run", "read", "1", "close", str(path), "--date",
                              "2026-11-01"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)]
    codes = sorted(r.wait() for r in runs)
    assert codes == [0, 1, 1]
    assert main(["validate", str(path)]) == 0 and leftovers(tmp_path) == []


@pytest.mark.parametrize("step", ["read", "write", "replace"])
def test_a_killed_run_leaves_the_book_whole_and_no_lock(tmp_path, step):
    path = month_book(tmp_path)
    before = path.read_bytes()
    run = start(step, 30, "close", str(path), "--date", "2026-11-01")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert path.read_bytes() == before  # the old version, whole
    assert main(["close", str(path), "--date", "2026-11-01"]) == 0  # the lock went with the process


@pytest.mark.parametrize("step", ["write", "replace"])
def test_a_write_never_lands_on_a_version_it_did_not_read(tmp_path, step):
    path = month_book(tmp_path)
    run = start(step, 1.5, "close", str(path), "--date", "2026-11-01")
    wb = openpyxl.load_workbook(path)
    wb["ContractLines"]["E2"] = 3000  # saved by another program meanwhile
    wb.save(path)
    saved = path.read_bytes()
    out, err = run.communicate()
    assert run.returncode == 1 and "changed by another program while this run worked" in err
    assert path.read_bytes() == saved and leftovers(tmp_path) == []
