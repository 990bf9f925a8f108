"""Replacing the master workbook safely: a lock, the Excel owner-file check, a verified
temporary file in the same folder, a rotating backup, then an atomic replace."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from io import BytesIO
from pathlib import Path

BACKUP_DIR = ".xlbilling-backups"
BACKUPS_KEPT = 5  # the default of the backups_kept setting


class WorkbookBusy(Exception):
    """The workbook is open in Excel or another xlbilling run holds it."""


def owner_file(path: Path) -> Path:
    """Excel's lock file for an open workbook: `~$` + the name (long names lose their first two letters)."""
    name = path.name
    candidates = [path.with_name("~$" + name)]
    if len(name) > 2:
        candidates.append(path.with_name("~$" + name[2:]))
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


def check_not_open(path: Path) -> None:
    owner = owner_file(path)
    if owner.exists():
        raise WorkbookBusy(
            f"{path.name} is open in Excel (found {owner.name}). Close it in Excel, or run the command from "
            "the Billing ribbon inside Excel, then try again."
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@contextmanager
def workbook_lock(path: Path):
    """One xlbilling run at a time per workbook; a lock left by a dead run is taken over."""
    lock = path.with_name(f".{path.name}.xlbilling-lock")
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _pid_alive(pid) and pid != os.getpid():
                raise WorkbookBusy(
                    f"another xlbilling run (process {pid}) is working on {path.name}; wait for it to finish"
                ) from None
            lock.unlink(missing_ok=True)
    else:
        raise WorkbookBusy(f"could not lock {path.name}")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _verify(data: bytes, previous: bytes | None = None) -> None:
    """Read back every entry that differs from the previous version (all of them without one);
    entries copied unchanged were readable before and are the same bytes now."""
    def signature(z: zipfile.ZipFile) -> dict[str, tuple[int, int]]:
        return {i.filename: (i.CRC, i.compress_size) for i in z.infolist()}

    def check(name: str) -> None:
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:  # one archive object per thread
                z.read(name)  # checks the CRC
        except (zipfile.BadZipFile, zlib.error) as exc:
            raise OSError(f"the written workbook failed its check at {name}: {exc}") from None

    old = {}
    if previous is not None:
        with zipfile.ZipFile(BytesIO(previous)) as z:
            old = signature(z)
    with zipfile.ZipFile(BytesIO(data)) as z:
        changed = [name for name, sig in signature(z).items() if old.get(name) != sig]
    with ThreadPoolExecutor(2) as pool:  # zlib lets go of the interpreter: parts inflate side by side
        list(pool.map(check, changed))


def _backup(path: Path, keep: int) -> Path:
    """Copy the current version into the backup folder; only the newest `keep` (at least one) stay."""
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, target)
    old = sorted(folder.glob(f"{path.stem}.*{path.suffix}"))
    for stale in old[:-max(keep, 1)]:
        stale.unlink(missing_ok=True)
    return target


def replace_file(path: Path, data: bytes, previous: bytes | None = None, check_zip: bool = True,
                 backups_kept: int = BACKUPS_KEPT) -> None:
    """Write `data` over `path` atomically, keeping backups of the previous versions (`previous`: its
    bytes, when the caller has them, so that only what changed needs checking; `check_zip`: off for
    files that are not workbooks, such as exports)."""
    path = Path(path)
    check_not_open(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with ThreadPoolExecutor(1) as pool:  # the backup copies while the new version is checked and written
            backing_up = pool.submit(_backup, path, backups_kept) if path.exists() else None
            if check_zip:
                _verify(data, previous)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if backing_up:
                backing_up.result()
        for attempt in range(3):
            try:
                os.replace(tmp, path)
                return
            except PermissionError:
                if attempt == 2:
                    raise WorkbookBusy(
                        f"{path.name} could not be replaced: it is open in another program (close it and try again)"
                    ) from None
                time.sleep(0.5)
    finally:
        tmp.unlink(missing_ok=True)
