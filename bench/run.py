"""Run every benchmark of issue 17: each book shape and size, each command, against its floor.

    python bench/run.py [--shapes running,first,small,large,typical,history] [--sizes 20000,200000,1048575]
                        [--repeats 5] [--commands close,post,refresh,report,close2]

Per shape and size it generates the book once (bench/books.py), closes it once to have a closed
book, posts that once to have a posted one (both made again once xlbilling's code changes), and then
times each command `--repeats` times on a fresh copy, each run in its own process (so peak RSS is the
run's own). It prints, per command:
seconds (median, min-max) of the job inside its process and of the whole process (start-up and
imports included), the floor and the ratio to it, and the peak RSS.

Floors: every command's is fastexcel's bare read of the book it starts from (every sheet to
Arrow), timed alternately with the runs. For `close` and `close2` the floor also counts the time
rustpy-xlsxwriter (in Rust, the fastest writer we know) takes to write the same output tabs the
close wrote, as values: a first close writes far more than a month's worth.

Targets (issue 17): close <= 2.0x its floor; post, refresh and report <= 3.0x the bare read; peak RSS
<= 2 GB; the typical book's close <= 1.5 s for the whole process; `invoices` (every posted invoice's
PDF; no ratio target) <= 60 s for 5,000 invoices (the `small` shape).
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import FIRST_CLOSE, OUT, SECOND_CLOSE, SHAPES, SIZES, generate, path_of  # noqa: E402

COMMANDS = ("close", "post", "refresh", "report", "close2", "invoices")
TARGET = {"close": 2.0, "close2": 2.0, "post": 3.0, "refresh": 3.0, "report": 3.0, "invoices": 0.0}
AS_OF = date(2026, 11, 30)


def _job(command: str, path: Path):
    """The job as the command line runs it, importing what that command imports."""
    if command == "invoices":
        from xlbilling import document_jobs

        return document_jobs.write_documents(path, path.with_name("invoices-out"), as_of=AS_OF)
    if command == "report":
        from xlbilling.report_job import write_manager_report

        return write_manager_report(path, path.with_name(path.stem + "-report.xlsx"), AS_OF)
    from xlbilling import jobs

    if command == "close":
        return jobs.close_workbook(path, FIRST_CLOSE.date())
    if command == "close2":
        return jobs.close_workbook(path, SECOND_CLOSE.date())
    if command == "post":
        return jobs.post_workbook(path, FIRST_CLOSE.date())
    return jobs.refresh_workbook(path, AS_OF)


def child(what: str, path: Path, command: str) -> None:
    """In a process of its own: time one job (or the bare read, or the floor's writer) and say so as JSON."""
    import resource

    t = time.perf_counter()
    if what == "bare":
        import fastexcel

        reader = fastexcel.read_excel(str(path))
        for name in reader.sheet_names:
            reader.load_sheet_by_name(name).to_arrow()
    elif what == "writer":
        _rust_write(path)
    else:
        result = _job(command, path)
        if not result.ok:
            print(json.dumps({"error": [str(e) for e in result.errors[:5]]}))
            return
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss}))


def _rust_write(path: Path) -> None:
    """Write the output tabs of a closed book again with rustpy-xlsxwriter (the writer floor)."""
    import fastexcel
    import rustpy_xlsxwriter

    from xlbilling.schema import SHEETS

    inputs = {"Start here", "Settings", *(s.name for s in SHEETS)}
    reader = fastexcel.read_excel(str(path))
    frames = [(n, reader.load_sheet_by_name(n).to_pandas()) for n in reader.sheet_names if n not in inputs]
    t = time.perf_counter()
    out = rustpy_xlsxwriter.FastExcel(str(path.with_name("floor-writer.xlsx")))
    for name, frame in frames:
        out.sheet(name[:31], frame)
    out.save()
    print(json.dumps({"write_seconds": time.perf_counter() - t}), file=sys.stderr)


def _spawn(what: str, path: Path, command: str = "") -> dict:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", what, str(path), command or "-"],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{what} {command} on {path.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    out = json.loads(lines[-1])
    if "error" in out:
        raise SystemExit(f"{command} on {path.name} refused: {out['error']}")
    if what == "writer":
        out["seconds"] = json.loads(done.stderr.strip().splitlines()[-1])["write_seconds"]
    out["wall"] = wall
    return out


def _code_stamp() -> str:
    """A digest of xlbilling's code: the closed and posted books are made again by code that differs (a book
    another version closed carries seals this one does not trust, so its post would read and write more)."""
    digest = hashlib.blake2b(digest_size=5)
    for path in sorted((Path(__file__).resolve().parents[1] / "xlbilling").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stages(shape: str, size: int) -> dict[str, Path]:
    """The book each command starts from: the generated one, closed once, and posted once, by this code."""
    if not path_of(shape, size).exists():  # in a process of its own: Linux keeps a process's peak memory
        # across the exec of a child, so a bench that generated the history (closing and posting 24 months
        # in it) would pass its own peak on to every measured child
        subprocess.run([sys.executable, __file__, "--generate", shape, str(size)], check=True)
    books = {"close": generate(shape, size)}
    stamp = _code_stamp()
    closed = OUT / f"{shape}-{size}-closed-{stamp}.xlsx"
    posted = OUT / f"{shape}-{size}-posted-{stamp}.xlsx"
    for old in [*OUT.glob(f"{shape}-{size}-closed*.xlsx"), *OUT.glob(f"{shape}-{size}-posted*.xlsx")]:
        if old not in (closed, posted):  # made by other code
            old.unlink()
    stage = OUT / f"stage-{os.getpid()}.xlsx"  # a run's own file: two runs side by side do not collide
    if not closed.exists():
        shutil.copy(books["close"], stage)
        _spawn("job", stage, "close")
        stage.replace(closed)
    if not posted.exists():
        shutil.copy(closed, stage)
        _spawn("job", stage, "post")
        stage.replace(posted)
    _discard(stage)
    books.update(post=closed, refresh=posted, report=posted, close2=posted, invoices=posted)
    return books


def _discard(work: Path) -> None:
    """A run's copy of a book and what the run left beside it: report, PDFs and backups."""
    from xlbilling.io.safe_write import BACKUP_DIR  # here, not at the top: a child times its own imports

    report = work.with_name(work.stem + "-report.xlsx")
    for path in (work, report):
        path.unlink(missing_ok=True)
        for backup in (path.parent / BACKUP_DIR).glob(f"{path.stem}.*{path.suffix}"):
            backup.unlink()
    shutil.rmtree(work.with_name("invoices-out"), ignore_errors=True)


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def run(shapes: list[str], sizes: list[int], repeats: int, commands: list[str]) -> list[str]:
    lines = [f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; median of {repeats} (min-max), seconds",
             f"{'shape':<8} {'entries':>9} {'command':<8} {'job':>19} {'process':>19} {'bare read':>9} "
             f"{'writer':>7} {'ratio':>6} {'target':>6} {'peak RSS':>9}"]
    print(*lines, sep="\n", flush=True)
    for shape in shapes:
        for size in sizes:
            books = _stages(shape, size)
            writer = [_spawn("writer", books["post"])["seconds"]] if (  # post starts from the closed book
                {"close", "close2"} & set(commands)) else [0.0]
            for command in commands:
                source, runs, bare = books[command], [], []
                work = OUT / f"run-{os.getpid()}.xlsx"
                try:
                    for _ in range(repeats):
                        bare.append(_spawn("bare", source)["seconds"])
                        _discard(work)
                        shutil.copy(source, work)
                        runs.append(_spawn("job", work, command))
                finally:
                    _discard(work)
                floor = statistics.median(bare) + (writer[0] if command.startswith("close") else 0)
                job = [r["seconds"] for r in runs]
                ratio = statistics.median(job) / floor
                target = f"{TARGET[command]:.1f}x" if TARGET[command] else "-"
                line = (f"{shape:<8} {size:>9,} {command:<8} {_summary(job):>19} "
                        f"{_summary([r['wall'] for r in runs]):>19} {statistics.median(bare):9.2f} "
                        f"{writer[0] if command.startswith('close') else 0:7.2f} {ratio:5.1f}x {target:>6} "
                        f"{max(r['rss_mb'] for r in runs):7,.0f} MB")
                print(line, flush=True)
                lines.append(line)
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        generate(sys.argv[2], int(sys.argv[3]))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", default=",".join(SHAPES))
    p.add_argument("--sizes", default=",".join(map(str, SIZES)))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--commands", default=",".join(COMMANDS))
    args = p.parse_args()
    # bytecode compiled, as an installed package has it: with PYTHONDONTWRITEBYTECODE set (as on some
    # machines) every child would otherwise compile the modules changed since their last .pyc, inside its time
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "xlbilling"), quiet=1)
    run(args.shapes.split(","), [int(s) for s in args.sizes.split(",")], args.repeats, args.commands.split(","))


if __name__ == "__main__":
    main()
