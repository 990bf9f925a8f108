"""Atomic replace with a backup, refusal while Excel has the file open, and the run lock."""

import os

import pytest

from xlbilling.io.safe_write import BACKUP_DIR, BACKUPS_KEPT, WorkbookBusy, replace_file, workbook_lock

from .books import write_book


def test_replace_keeps_a_backup_of_the_previous_version(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    old = path.read_bytes()
    new = write_book(tmp_path / "other.xlsx", {"Notes": [["x"]]}).read_bytes()
    replace_file(path, new)
    assert path.read_bytes() == new
    [backup] = (tmp_path / BACKUP_DIR).iterdir()
    assert backup.read_bytes() == old
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_backups_rotate(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    data = path.read_bytes()
    for _ in range(BACKUPS_KEPT + 3):
        replace_file(path, data)
    assert len(list((tmp_path / BACKUP_DIR).iterdir())) == BACKUPS_KEPT


def test_refuses_while_open_in_excel(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    before = path.read_bytes()
    (tmp_path / "~$Book.xlsx").write_bytes(b"owner")
    with pytest.raises(WorkbookBusy, match="open in Excel"):
        replace_file(path, before)
    assert path.read_bytes() == before and not (tmp_path / BACKUP_DIR).exists()


def test_a_broken_package_is_never_written(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    before = path.read_bytes()
    with pytest.raises(Exception):
        replace_file(path, b"not a zip")
    assert path.read_bytes() == before


def test_two_runs_cannot_interleave(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    with workbook_lock(path):
        lock = tmp_path / ".Book.xlsx.xlbilling-lock"
        lock.write_text(str(os.getppid()))  # held by another live process
        with pytest.raises(WorkbookBusy, match="another xlbilling run"):
            with workbook_lock(path):
                pass
        lock.write_text(str(os.getpid()))


def test_a_lock_left_by_a_dead_run_is_taken_over(tmp_path):
    path = write_book(tmp_path / "Book.xlsx", {})
    (tmp_path / ".Book.xlsx.xlbilling-lock").write_text("999999")
    with workbook_lock(path):
        pass
    assert not (tmp_path / ".Book.xlsx.xlbilling-lock").exists()


def test_a_part_that_does_not_inflate_back_is_never_written(tmp_path, monkeypatch):
    """Each part is inflated and checked as it is deflated (the write reads back only the archive's
    structure): a stream that does not give its part back stops the write, and the file stays as it was."""
    from xlbilling.core.tabs import Column, Tab
    from xlbilling.io import zipwrite
    from xlbilling.io.workbook import write_output_tabs

    path = write_book(tmp_path / "Book.xlsx", {})
    before = path.read_bytes()
    tab = Tab("Notes", (Column("Note"),), [(f"note {k}",) for k in range(5000)])

    real = zipwrite.zlib.compressobj

    class Garbling:  # deflates the part with one byte changed, as a fault would
        def __init__(self, *args):
            self._packer = real(*args)

        def compress(self, data: bytes) -> bytes:
            return self._packer.compress(data[:-1] + b"?" if data else data)

        def flush(self, *args) -> bytes:
            return self._packer.flush(*args)

    monkeypatch.setattr(zipwrite.zlib, "compressobj", Garbling)
    with pytest.raises(OSError, match="did not inflate"):
        write_output_tabs(path, [tab])
    assert path.read_bytes() == before and not (tmp_path / BACKUP_DIR).exists()
    monkeypatch.undo()
    assert write_output_tabs(path, [tab])
    from xlbilling.io.workbook import read_output_rows
    assert read_output_rows(path, "Notes")[-1] == ("note 4999",)
