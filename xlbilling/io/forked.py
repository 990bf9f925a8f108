"""Work done on the machine's other core, in a forked copy of this process: the copy sees everything as
it was at the fork (nothing is pickled to it), does the work and hands its result back, pickled, through
a pipe. Python runs one thread at a time, so this is how a job uses both cores: the copy makes and renders
some of the tabs while this process makes and renders the others.

What the copy reads it shares with this process until either writes to it, and then the page is copied
(a Python object is written to whenever it is used, for its reference count): each copied page costs
some microseconds. So the copy is forked before the tabs are made, and makes its own, which no other
process has.

Only where fork is safe for a process that has threads (Linux); elsewhere `available()` is False and the
caller does the work itself. A copy that fails, for any reason, hands back nothing: the caller then does
that work itself, so the result never depends on whether the copy ran."""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


most_private = 0  # bytes: the most memory of its own a copy held, at its end (what the bench adds to its peak)


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def resident() -> int:
    """Bytes of memory this process holds now (0 where that cannot be read)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextmanager
def forked(work: Callable[[], Any]) -> Iterator[Callable[[], Any | None]]:
    """Start `work` in a forked copy; yields a function that waits for its result (None if it failed).
    Leaving the block before asking for the result stops the copy."""
    read_end, write_end = os.pipe()
    gc.freeze()  # the collector leaves the objects both share alone: their pages are not copied for it
    pid = os.fork()
    if pid == 0:  # the copy: never returns to the caller's code
        os.close(read_end)
        code = 1
        try:
            value = work()
            payload = pickle.dumps((value, _private()), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    source = os.fdopen(read_end, "rb")
    waited = False

    def result() -> Any | None:
        global most_private
        nonlocal waited
        payload = source.read()
        _, status = os.waitpid(pid, 0)
        waited = True
        if status != 0 or not payload:
            return None
        value, private = pickle.loads(payload)
        most_private = max(most_private, private + len(payload))  # the payload: held while it was written
        return value

    try:
        yield result
    finally:
        source.close()
        if not waited:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        gc.unfreeze()


def _private() -> int:
    """Bytes of memory this process holds that no other shares (its copied and new pages)."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            return sum(int(line.split()[1]) * 1024 for line in f if line.startswith(("Private_Clean", "Private_Dirty")))
    except OSError:
        return 0
