"""Replacing the master workbook safely: a lock, the Excel owner-file check, a verified
temporary file in the same folder, a rotating backup, then an atomic replace."""

from __future__ import annotations

import os
import shutil
import socket
import stat
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


class WriteRefused(Exception):
    """The workbook cannot be written as it stands (read-only, no disk space, no backup folder); nothing was."""


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


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def sweep_leftovers(folder: Path, prefix: str) -> None:
    """Remove what runs killed midway left in a folder: entries `<prefix><pid>…` of processes that are gone
    (a temporary workbook beside the book, the row-range pieces of a large sheet in the temp folder)."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(prefix):].split(".")[0].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
            continue
        try:
            shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        except OSError:
            pass


def _owner_text() -> str:
    return f"process {os.getpid()} on {socket.gethostname()}, started {datetime.now():%Y-%m-%d %H:%M:%S}"


if os.name == "nt":  # pragma: no cover - Windows: a byte-range lock, released by Windows when the process ends
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:  # held by another process
            return False
        except OSError as exc:  # the file system cannot lock at all (some network shares)
            raise WriteRefused(f"the folder's file system cannot lock files ({exc.strerror}); keep the workbook "
                               "on a local or an SMB drive") from None

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.xlbilling-lock")


@contextmanager
def workbook_lock(path: Path):
    """One xlbilling run at a time per workbook. The lock is the operating system's, on a lock file
    beside the workbook: it is taken in one step, and it is released by the system when its process
    ends, however it ends, so a lock is never left behind by a dead run nor taken from a live one.
    The owner (process, host, start) is written into the file for the message a second run shows."""
    lock = lock_path(path)
    for _ in range(10):
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
        if not _try_lock(fd):
            owner = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() if hasattr(os, "pread") else ""
            os.close(fd)
            raise WorkbookBusy(f"another xlbilling run ({owner or 'another process'}) is working on {path.name}; "
                               "wait for it to finish")
        try:  # the file locked must still be the lock file: a run that ends removes it
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        _unlock(fd)
        os.close(fd)
    else:
        raise WorkbookBusy(f"could not lock {path.name}")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _owner_text().encode(), 0) if hasattr(os, "pwrite") else os.write(fd, _owner_text().encode())
        yield
    finally:
        try:
            lock.unlink(missing_ok=True)  # removed while still held: a run waiting on it tries again
        except OSError:  # Windows keeps an open file: it stays, unlocked, for the next run
            pass
        _unlock(fd)
        os.close(fd)


def identity(path: Path) -> tuple[int, int, int]:
    """What tells one version of a file from another: inode, size and modification time."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def check_unchanged(path: Path, seen: tuple | None) -> None:
    if seen is not None and identity(path) != seen:
        raise WorkbookBusy(f"{path.name} was changed by another program while this run worked (saved in Excel? "
                           "synced?); nothing was written: run the command again")


def _verify(data: bytes, previous: bytes | None = None, inflate: bool = True) -> None:
    """Read back every entry that differs from the previous version (all of them without one);
    entries copied unchanged were readable before and are the same bytes now. `inflate` False: the
    entries were inflated and checked as they were deflated (zipwrite.deflated), so each changed
    entry's headers are read back, not its data again."""
    def signature(z: zipfile.ZipFile) -> dict[str, tuple[int, int]]:
        return {i.filename: (i.CRC, i.compress_size) for i in z.infolist()}

    def check(name: str) -> None:
        try:
            with zipfile.ZipFile(BytesIO(data)) as z, z.open(name) as part:  # one archive object per thread
                while inflate and part.read(1 << 24):  # inflated in pieces, never held whole; the end checks the CRC
                    pass
        except (zipfile.BadZipFile, zlib.error) as exc:
            raise OSError(f"the written workbook failed its check at {name}: {exc}") from None

    old = {}
    if previous is not None:
        with zipfile.ZipFile(BytesIO(previous)) as z:
            old = signature(z)
    with zipfile.ZipFile(BytesIO(data)) as z:
        changed = [name for name, sig in signature(z).items() if old.get(name) != sig]
    if not inflate:
        list(map(check, changed))
        return
    with ThreadPoolExecutor(2) as pool:  # zlib lets go of the interpreter: parts inflate side by side
        list(pool.map(check, changed))


def _backup(path: Path, keep: int) -> Path:
    """Copy the current version into the backup folder; only the newest `keep` (at least one) stay.
    The copy is made under a temporary name and renamed once whole, so a kill or a full disk leaves
    no half backup to rotate a good one out."""
    folder = path.parent / BACKUP_DIR
    if folder.exists() and not folder.is_dir():
        raise WriteRefused(f"{folder} is a file, not the backup folder; move it away so backups can be kept")
    folder.mkdir(exist_ok=True)
    sweep_leftovers(folder, f".{path.stem}.")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    partial = folder / f".{path.stem}.{os.getpid()}.partial"
    try:
        shutil.copy2(path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    old = sorted(folder.glob(f"{path.stem}.*{path.suffix}"))
    for stale in old[:-max(keep, 1)]:
        stale.unlink(missing_ok=True)
    return target


def _keep_owner_and_mode(path: Path, tmp: Path, mode: int) -> None:
    """The new version gets the permissions (and, where allowed, the owner) of the one it replaces."""
    os.chmod(tmp, mode)
    st = os.stat(path)
    if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.stat(tmp).st_uid, os.stat(tmp).st_gid):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass


def _room_for(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise WriteRefused(f"not enough free disk space in {folder}: {needed / 1e6:,.1f} MB needed for the new "
                           f"version and its backup, {free / 1e6:,.1f} MB free; free some space and run again")


def replace_file(path: Path, data: bytes, previous: bytes | None = None, check_zip: bool = True,
                 backups_kept: int = BACKUPS_KEPT, seen: tuple | None = None, inflated: bool = False) -> None:
    """Write `data` over `path` atomically, keeping backups of the previous versions (`previous`: its
    bytes, when the caller has them, so that only what changed needs checking; `check_zip`: off for
    files that are not workbooks, such as exports; `inflated`: every entry that differs from
    `previous` was inflated and checked as it was deflated, as package.write_tabs does)."""
    path = Path(path)
    check_not_open(path)
    path = path.resolve() if path.is_symlink() else path  # a link keeps pointing at the file, which is replaced
    exists = path.exists()
    mode = stat.S_IMODE(os.stat(path).st_mode) if exists else None
    if mode is not None and not mode & 0o222:
        raise WriteRefused(f"{path.name} is read-only; make it writable to let xlbilling write it")
    sweep_leftovers(path.parent, f".{path.name}.")
    _room_for(path.parent, len(data) + (path.stat().st_size if exists else 0) + (1 << 20))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with ThreadPoolExecutor(1) as pool:  # the backup copies while the new version is checked and written
            backing_up = pool.submit(_backup, path, backups_kept) if exists else None
            if check_zip:
                _verify(data, previous, inflate=not inflated)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if mode is not None:
                _keep_owner_and_mode(path, tmp, mode)
            if backing_up:
                backing_up.result()
        for attempt in range(3):
            try:
                check_unchanged(path, seen)  # right before the replace: never over a version not read
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
