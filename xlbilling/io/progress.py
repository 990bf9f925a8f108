"""Progress for long runs: a line per step on stderr, rewritten in place on a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, step: str) -> None:
        if not self.enabled:
            return
        text = f"  {time.perf_counter() - self.started:5.1f}s  {step}…"
        now = time.perf_counter()
        if self.tty:
            self.stream.write("\r\033[K" + text)
        elif now - self.last >= 1.0:  # in logs, only steps that take a while
            self.stream.write(text + "\n")
        self.last = now
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()
