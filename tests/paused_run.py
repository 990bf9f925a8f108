"""The command line with a pause at one step of the run, for the concurrency and kill tests:
`python -m tests.paused_run STEP SECONDS COMMAND ARGS…`, STEP one of read (the lock held, before
reading), write (computed, before writing) and replace (the new file written, right before it
replaces the workbook). It says `paused at STEP` on stderr when the pause begins."""

from __future__ import annotations

import sys
import time

from xlbilling.cli import main
from xlbilling.io import safe_write, workbook


def _pausing(step: str, chosen: str, seconds: float, function):
    def paused(*args, **kwargs):
        if step == chosen:
            print(f"paused at {step}", file=sys.stderr, flush=True)
            time.sleep(seconds)
        return function(*args, **kwargs)
    return paused


if __name__ == "__main__":
    chosen, seconds, *argv = sys.argv[1:]
    workbook.FileWorkbook.read = _pausing("read", chosen, float(seconds), workbook.FileWorkbook.read)
    workbook.FileWorkbook.write = _pausing("write", chosen, float(seconds), workbook.FileWorkbook.write)
    # replace_file calls it right before os.replace
    safe_write.check_unchanged = _pausing("replace", chosen, float(seconds), safe_write.check_unchanged)
    sys.exit(main(argv))
