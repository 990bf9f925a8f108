"""A large sheet cut into row ranges, each a small workbook of its own, so that several readers parse
it at once.

fastexcel (calamine) parses a sheet on one core. Here the sheet XML is inflated once and cut at row
boundaries into ranges of about equal size. Each range is written uncompressed into a workbook file
that carries every other part of the original as it is (shared strings, styles, the date system), so
its cells read exactly as they do in the original. Each range after the first starts with a copy of
the header row, renumbered to the row just above the range: its columns are found by the same
headers, and its rows keep their numbers.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterator

from .package import Package
from .zipwrite import StoredZipFile, copied

CHUNK = 1 << 23  # large: the cutting thread waits for the interpreter lock once per call into zlib or a file
FIRST_VALUE_ROW = re.compile(rb'<row\b[^>]*\br="(\d+)"[^>]*>(?:(?!</row>).)*?<(?:\w+:)?(?:v|is)\b', re.S)
_SHEET_DATA = re.compile(rb"<sheetData\s*>")
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_CUT = re.compile(rb'</row>\s*(?=<row\b[^>]*?\br="(\d+)")')
_SHEET_END = b"</sheetData></worksheet>"


class Uncuttable(Exception):
    """The sheet XML is not laid out as this cutter expects, or does not inflate (read it whole instead)."""


@dataclass(frozen=True)
class Piece:
    path: Path
    first_row: int  # the Excel row of the range's first row below the headers


def renumber_row(row_xml: bytes, old: int, new: int) -> bytes:
    """A row's XML moved from row `old` to row `new` (the row's and its cells' `r` attributes)."""
    return re.sub(rb'(<(?:row|c)\b[^>]*?\br="[A-Z]{0,3})%d"' % old, lambda m: m.group(1) + b'%d"' % new, row_xml)


def inflated(pkg: Package, part: str) -> Iterator[bytes]:
    """A part's bytes in chunks of at most CHUNK, checked against its CRC at the end."""
    try:
        with pkg.stream(part) as source:
            while chunk := source.read(CHUNK):
                yield chunk
    except zipfile.BadZipFile as exc:
        raise Uncuttable(f"the sheet does not inflate: {exc}") from None


def cut_sheet(pkg: Package, part: str, parts: int, folder: Path,
              feed: Callable[[bytes], None] = lambda chunk: None) -> Iterator[Piece]:
    """Cut the sheet XML `part` into `parts` ranges (fewer when rows are too few), yielding each one's
    workbook as soon as it is written. Every inflated chunk is also given to `feed`."""
    info = pkg.info(part)
    target = info.file_size // parts
    others = [copied(pkg.data, i) for i in pkg.infos if i.filename != part]
    chunks = inflated(pkg, part)
    buf = b""
    while True:  # the head: everything up to <sheetData>, and the header row (the first with a value)
        opened = _SHEET_DATA.search(buf)
        header = FIRST_VALUE_ROW.search(buf, opened.end()) if opened else None
        header_end = buf.find(b"</row>", header.end()) if header else -1
        if opened and header and header_end != -1:
            break
        chunk = next(chunks, b"")
        if not chunk or len(buf) > 2 * CHUNK:
            raise Uncuttable(f"no header row found near the start of {part}")
        feed(chunk)
        buf += chunk
    head = buf[:opened.start()]
    if b"<worksheet" not in head:
        raise Uncuttable(f"{part} is not a plain worksheet")
    opening = _DIMENSION.sub(b"", head) + opened.group(0)  # a range's dimension is not the sheet's
    header_row, header_xml = int(header.group(1)), buf[header.start():header_end + len(b"</row>")]

    index, first_row = 0, header_row + 1
    out = StoredZipFile(folder / "part0.xlsx", others, part, info.date_time)
    try:
        out.write(opening)
        data, at, size = buf, opened.end(), len(opening)
        while True:
            view = memoryview(data)  # written in slices, never copied
            while True:
                cut = None
                if index < parts - 1 and size + len(data) - at >= target:
                    cut = _CUT.search(data, at + max(0, target - size))
                if not cut or int(cut.group(1)) <= first_row:
                    break
                out.write(view[at:cut.end()])
                out.write(_SHEET_END)
                out.close()
                yield Piece(folder / f"part{index}.xlsx", first_row)
                index, first_row = index + 1, int(cut.group(1))
                out = StoredZipFile(folder / f"part{index}.xlsx", others, part, info.date_time)
                start = opening + renumber_row(header_xml, header_row, first_row - 1)
                out.write(start)
                at, size = cut.end(), len(start)
            out.write(view[at:])
            size += len(data) - at
            del view
            data, at = next(chunks, b""), 0
            if not data:
                break
            feed(data)
        out.close()
    finally:
        out.discard()
    yield Piece(folder / f"part{index}.xlsx", first_row)
