"""A small, deterministic zip writer that copies unchanged entries as their raw compressed bytes.

Re-deflating a 150 MB sheet that did not change costs seconds; copying its compressed bytes costs
nothing and keeps it bit for bit. Written from the ZIP format (local file headers, central
directory, end of central directory record); no ZIP64, which workbooks under 4 GB never need.
"""

from __future__ import annotations

import struct
import sys
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

from isal import isal_zlib as zlib  # zlib's interface and streams, on Intel's ISA-L: see LEVEL

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LIMIT = 0xFFFFFFFF
UTF8_NAMES = 0x800
# Level 1 of ISA-L (python-isal). Measured on 120 MB of a first close's InvoiceLines XML in 1 MB chunks,
# one core: ISA-L level 1 deflates at 1,290 MB/s to 12.8 MB, zlib level 1 at 386 MB/s to 11.8 MB, zlib
# level 3 at 275 MB/s to 11.0 MB (zlib level 6, its default, is slower again by 2.5x); ISA-L inflates
# twice as fast as zlib (the check of every run) and takes a CRC seven times as fast. The same deflate
# streams: Excel, LibreOffice and zlib read them. 8 % larger for a third of the time (bench/README.md).
LEVEL = 1


@dataclass(frozen=True)
class Entry:
    name: str
    date_time: tuple
    method: int  # zipfile.ZIP_STORED or zipfile.ZIP_DEFLATED
    crc: int
    size: int
    raw: bytes | memoryview | tuple[bytes, ...]  # the stored (compressed) bytes, or they in pieces
    external_attr: int = 0

    @property
    def pieces(self) -> tuple[bytes | memoryview, ...]:
        return self.raw if isinstance(self.raw, tuple) else (self.raw,)

    @property
    def raw_size(self) -> int:
        return sum(map(len, self.pieces))


def deflated(data: bytes, level: int = LEVEL, flush: int = zlib.Z_FINISH) -> bytes:
    """`data` deflated (a raw stream; Z_SYNC_FLUSH: a run that others can follow), and inflated again
    at once to check it gives `data` back: every part this writer deflates is read back as it is made,
    on the thread that made it, while the next part is still being produced (so the written workbook
    needs only its structure read back, safe_write)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    raw = packer.compress(data) + packer.flush(flush)
    if zlib.decompressobj(-15).decompress(raw) != data:
        raise OSError("a part did not inflate to what was deflated (a fault of this machine's memory or zlib); "
                      "nothing was written")
    return raw


def compressed(name: str, data: bytes, date_time: tuple, method: int = zipfile.ZIP_DEFLATED,
               external_attr: int = 0, level: int = LEVEL) -> Entry:
    raw = data if method == zipfile.ZIP_STORED else deflated(data, level)
    return Entry(name, date_time, method, zlib.crc32(data), len(data), raw, external_attr)


_IN_FLIGHT = 6  # chunks a Deflater holds waiting for a thread
_HANDOFF = 0.0005  # seconds: how long a worker that finished its chunk waits for the interpreter


@contextmanager
def quick_handoffs() -> Iterator[None]:
    """While the main thread renders (holding the interpreter), a worker that finished deflating a
    chunk needs the interpreter back to take the next, and by default waits up to 5 ms for it: over a
    large tab that waiting, not the deflating, held up the render (measured: 2.4 s vs 2.0 s for a first
    close's InvoiceLines). Meanwhile the interpreter is handed over within half a millisecond."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, _HANDOFF))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


Runs = dict[int, tuple[bytes, "Future[tuple[bytes, int]]", int]]  # id(chunk) -> (chunk, its run, level)


class Deflater:
    """Deflates a part chunk by chunk on worker threads while the caller produces the next chunk.

    ISA-L (as zlib) lets go of the interpreter, so rendering a large sheet and deflating it overlap, and chunks
    deflate side by side: each chunk is a run of deflate blocks ending on a byte boundary (a sync
    flush), so the runs join into one valid stream, closed by an empty final block. The part's CRC is
    taken on the workers too, each chunk's continuing the one before it (which started earlier: the
    pool takes its jobs in order)."""

    _FINAL = zlib.compressobj(LEVEL, zlib.DEFLATED, -15).flush()  # an empty final block

    def __init__(self, pool: ThreadPoolExecutor, level: int = LEVEL, runs: Runs | None = None,
                 remember: bool = False):
        """`runs`: chunks other Deflaters of the same write deflated (a chunk written again, the very
        same bytes object, takes its run as it is: a run depends on its chunk alone); `remember`: add
        this part's chunks to them (for a part whose chunks are held anyway, for the next to take)."""
        self._pool, self._level = pool, level
        self._pieces: list[Future[tuple[bytes, int]]] = []  # each chunk deflated, and the CRC through it
        self._size = 0
        self._runs, self._remember = runs, remember and runs is not None

    def _deflate(self, chunk: bytes, before: Future[tuple[bytes, int]] | None,
                 run: Future[tuple[bytes, int]] | None) -> tuple[bytes, int]:
        raw = run.result()[0] if run else deflated(chunk, self._level, zlib.Z_SYNC_FLUSH)
        return raw, zlib.crc32(chunk, before.result()[1] if before else 0)

    def write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if len(self._pieces) >= _IN_FLIGHT:  # the producer waits rather than queue the whole part in memory
            self._pieces[-_IN_FLIGHT].result()
        known = self._runs.get(id(chunk)) if self._runs is not None else None
        run = known[1] if known is not None and known[0] is chunk and self._level == known[2] else None
        piece = self._pool.submit(self._deflate, chunk, self._pieces[-1] if self._pieces else None, run)
        self._pieces.append(piece)
        if self._remember and run is None:
            self._runs[id(chunk)] = (chunk, piece, self._level)  # type: ignore[index]

    @property
    def crc(self) -> int:
        return self._pieces[-1].result()[1] if self._pieces else 0

    @property
    def size(self) -> int:
        return self._size

    def _raw(self) -> tuple[bytes, ...]:
        return (*(f.result()[0] for f in self._pieces), self._FINAL)

    def done(self) -> Deflated:
        """The part as deflated (once its chunks have)."""
        return Deflated(self._raw(), self.crc, self._size)

    def same_as(self, raw: bytes | memoryview) -> bool:
        return self.done().same_as(raw)

    def write_pieces(self, pieces: Iterable[bytes | memoryview], size: int) -> None:
        """Write many small pieces as chunks of about `size` bytes (each chunk is a deflate run of its own)."""
        held: list[bytes | memoryview] = []
        length = 0
        for piece in pieces:
            held.append(piece)
            length += len(piece)
            if length >= size:
                self.write(b"".join(held))
                held, length = [], 0
        if held:
            self.write(b"".join(held))

    def entry(self, name: str, date_time: tuple, external_attr: int = 0) -> Entry:
        return self.done().entry(name, date_time, external_attr)


@dataclass(frozen=True)
class Deflated:
    """A part deflated in runs (by a Deflater, here or in another process), with its CRC and size."""

    raw: tuple[bytes, ...]
    crc: int
    size: int

    def same_as(self, raw: bytes | memoryview) -> bool:
        """Whether the deflated stream is byte for byte `raw` (an entry this writer deflated from the
        same XML in the same chunks comes out so), compared without joining it."""
        at = 0
        view = memoryview(raw)
        for piece in self.raw:
            if view[at:at + len(piece)] != piece:
                return False
            at += len(piece)
        return at == len(view)

    def entry(self, name: str, date_time: tuple, external_attr: int = 0) -> Entry:
        # joined once, with the whole archive
        return Entry(name, date_time, zipfile.ZIP_DEFLATED, self.crc, self.size, self.raw, external_attr)


def raw_bytes(source: bytes, info: zipfile.ZipInfo) -> memoryview:
    """The stored (compressed) bytes of an entry of a source archive, not copied."""
    offset = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", source, offset + 26)
    start = offset + 30 + name_len + extra_len
    return memoryview(source)[start:start + info.compress_size]


_BAD_STREAM = cast(type[Exception], zlib.error)  # what ISA-L raises for a broken stream (its stub says otherwise)


class Inflating:
    """An entry of a source archive read on a piece at a time, inflated as it is asked for and checked
    against its CRC and size at its end (zipfile's reader, on ISA-L's quicker inflate and CRC). A damaged
    entry is zipfile.BadZipFile, as zipfile has it."""

    _STEP = 1 << 20  # compressed bytes handed to the inflater at a time

    def __init__(self, source: bytes, info: zipfile.ZipInfo):
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise zipfile.BadZipFile(f"{info.filename} is compressed in a way this reader does not inflate")
        self._raw, self._info, self._at, self._crc, self._size = raw_bytes(source, info), info, 0, 0, 0
        self._inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def __enter__(self) -> Inflating:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self, n: int = -1) -> bytes:
        """Up to `n` more bytes (all the rest if `n` < 0); empty at the end."""
        want = self._info.file_size - self._size if n < 0 else n
        pieces: list[bytes] = []
        got = 0
        try:
            while got < want and not self._done():
                piece = self._next(want - got)
                pieces.append(piece)
                got += len(piece)
        except _BAD_STREAM as exc:
            raise zipfile.BadZipFile(f"{self._info.filename} does not inflate: {exc}") from None
        data = b"".join(pieces)
        self._crc, self._size = zlib.crc32(data, self._crc), self._size + len(data)
        if self._done() and (self._crc != self._info.CRC or self._size != self._info.file_size):
            raise zipfile.BadZipFile(f"{self._info.filename} does not match its checksum")
        return data

    def _done(self) -> bool:
        return self._inflater.eof if self._inflater is not None else self._at >= len(self._raw)

    def _next(self, most: int) -> bytes:
        if self._inflater is None:
            piece, self._at = bytes(self._raw[self._at:self._at + most]), self._at + most
            return piece
        data: bytes | memoryview = self._inflater.unconsumed_tail
        if not data and self._at < len(self._raw):
            data, self._at = self._raw[self._at:self._at + self._STEP], self._at + self._STEP
        piece = self._inflater.decompress(data, most)  # with no input: what ISA-L holds of what it took
        if not piece and not data and not self._inflater.eof:
            raise zipfile.BadZipFile(f"{self._info.filename}: its compressed data ends early")
        return piece


def copied(source: bytes, info: zipfile.ZipInfo) -> Entry:
    """An entry of a source archive, its compressed bytes taken as they are (a view: not copied)."""
    raw = raw_bytes(source, info)
    return Entry(info.filename, info.date_time, info.compress_type, info.CRC, info.file_size, raw, info.external_attr)


def _dos(date_time: tuple) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _headers(e: Entry, offset: int, raw_size: int | None = None) -> tuple[bytes, bytes]:
    """The local header (name included) and the central directory record of an entry at `offset`
    (`raw_size`: the stored size, for an entry whose bytes are not held)."""
    raw_size = e.raw_size if raw_size is None else raw_size
    name = e.name.encode("utf-8")
    flags = 0 if e.name.isascii() else UTF8_NAMES
    time, day = _dos(e.date_time)
    if max(raw_size, e.size, offset) >= _LIMIT:
        raise ValueError("the workbook is larger than 4 GB, which this writer does not support")
    local = _LOCAL.pack(0x04034B50, 20, flags, e.method, time, day, e.crc, raw_size, e.size, len(name), 0) + name
    central = _CENTRAL.pack(0x02014B50, 20, 20, flags, e.method, time, day, e.crc, raw_size, e.size,
                            len(name), 0, 0, 0, 0, e.external_attr, offset) + name
    return local, central


def _end(count: int, directory: bytes, offset: int) -> bytes:
    return directory + _END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0)


def write_zip(entries: list[Entry]) -> bytes:
    out: list[bytes | memoryview] = []
    central: list[bytes] = []
    offset = 0
    for e in entries:
        local, record = _headers(e, offset)
        central.append(record)
        out += [local, *e.pieces]
        offset += len(local) + e.raw_size
    out.append(_end(len(entries), b"".join(central), offset))
    return b"".join(out)


class StoredZipFile:
    """A zip file written as it goes: `entries` as they are, then one entry stored uncompressed whose
    bytes arrive chunk by chunk (its CRC and sizes go into its header when it is closed)."""

    def __init__(self, path, entries: list[Entry], name: str, date_time: tuple):
        self._file = open(path, "wb")  # noqa: SIM115 - open for the writer's life; close() closes it
        self._central: list[bytes] = []
        for e in entries:
            local, record = _headers(e, self._file.tell())
            self._central.append(record)
            self._file.write(local)
            for piece in e.pieces:
                self._file.write(piece)
        self._name, self._date_time = name, date_time
        self._offset = self._file.tell()
        self._crc = self._size = 0
        self._file.write(self._local_headers()[0])  # written again once the CRC and size are known

    def _local_headers(self) -> tuple[bytes, bytes]:
        entry = Entry(self._name, self._date_time, zipfile.ZIP_STORED, self._crc, self._size, b"")
        return _headers(entry, self._offset, self._size)

    def write(self, chunk: bytes | memoryview) -> None:
        self._crc = zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        self._file.write(chunk)

    def close(self) -> None:
        end = self._file.tell()
        local, record = self._local_headers()
        self._file.seek(self._offset)
        self._file.write(local)
        self._file.seek(end)
        self._file.write(_end(len(self._central) + 1, b"".join((*self._central, record)), end))
        self._file.close()

    def discard(self) -> None:
        self._file.close()
