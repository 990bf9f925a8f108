"""Progress for long runs on stderr: each stage by name with a clock. On a terminal the line is
redrawn in place and its clock keeps running while a stage works; in a log a stage gets a line
once it has taken a second, and another every ten seconds it goes on, so short runs stay quiet."""

from __future__ import annotations

import sys
import threading
import time

LOG_AFTER = 1.0  # seconds a stage runs before a log shows it
LOG_EVERY = 10.0  # then a line this often while it goes on


class Progress:
    def __init__(self, enabled: bool = True, stream=None, tick: float = 0.25):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.perf_counter()
        self.tick = tick
        self._stage = ""
        self._stage_started = self.started
        self._logged = 0.0  # in a log: how long the stage had run when it was last shown
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, stage: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._stage, self._stage_started, self._logged = stage, time.perf_counter(), 0.0
            if self.tty:
                self._draw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._run, name="xlbilling-progress", daemon=True)
            self._ticker.start()

    def _draw(self) -> None:
        now = time.perf_counter()
        text = f"  {now - self.started:5.1f}s  {self._stage}…"
        if self.tty:
            self.stream.write(f"\r\033[K{text}")
        else:
            running = now - self._stage_started
            self.stream.write(text + (f" (still running, {running:.0f}s)" if self._logged else "") + "\n")
            self._logged = running
        self.stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                if not self._stage:
                    continue
                running = time.perf_counter() - self._stage_started
                if self.tty or (running >= LOG_AFTER and (not self._logged or running - self._logged >= LOG_EVERY)):
                    self._draw()

    def done(self) -> None:
        """The run is over: the clock stops and the line is cleared, so the summary starts on its own line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self.enabled and self.tty and self._stage:
                self.stream.write("\r\033[K")
                self.stream.flush()
            self._stage = ""
