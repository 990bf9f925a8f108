"""Seals: what a tab's builder vouches its rows by (Tab.seal, a digest), kept in the workbook as a
hidden defined name with the sheet part's CRC-32 and size as written, and the version of xlbilling that
wrote it. While the part is byte for byte as written (nobody edited the sheet, nor saved the book in Excel,
which writes every part again), a later run of the same version can trust the digest without reading the
sheet; once the part differs, or another version reads it (whose tabs may show the same rows otherwise),
the seal says nothing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable

from .. import __version__

PREFIX = "xlbilling.seal."
_OURS = re.compile(r'<(?:\w+:)?definedName\b[^>]*\bname="xlbilling\.seal\.[^"]*"[^>]*?'
                   r'(?:/>|>.*?</(?:\w+:)?definedName>)', re.S)
_NAME_OF = re.compile(r'\bname="xlbilling\.seal\.([^"]*)"')
_VALUE = re.compile(r'^"([^"|]+)\|(\d+)\|(\d+)\|([0-9a-f]+)\|([^"|]+)"$')


def _name(sheet: str) -> str:
    return PREFIX + re.sub(r"\W", "_", sheet)


def seal_xml(sheet: str, crc: int, size: int, digest: str) -> str:
    """The defined name sealing a sheet (markup with `<§` for its elements, as package.py writes them)."""
    value = f"{sheet}|{crc}|{size}|{digest}|{__version__}"
    return f'<§definedName name="{_name(sheet)}" hidden="1">"{value}"</§definedName>'


def without_seals(wb_xml: str, sheets: Iterable[str]) -> str:
    """workbook.xml without the seals of these sheets (written again: their old seals say nothing)."""
    names = {_name(s)[len(PREFIX):] for s in sheets}
    return _OURS.sub(lambda m: "" if (n := _NAME_OF.search(m.group())) and n.group(1) in names else m.group(),
                     wb_xml)


def valid_seals(wb_xml: bytes, info_of: Callable[[str], zipfile.ZipInfo | None]) -> dict[str, str]:
    """Sheet -> digest, for each sealed sheet whose part (`info_of(sheet)`) is as this version wrote it."""
    seals = {}
    for el in ET.fromstring(wb_xml).iter():
        if not (el.tag.endswith("}definedName") and el.get("name", "").startswith(PREFIX)):
            continue
        m = _VALUE.match((el.text or "").strip())
        info = info_of(m.group(1)) if m and m.group(5) == __version__ else None
        if m and info is not None and (info.CRC, info.file_size) == (int(m.group(2)), int(m.group(3))):
            seals[m.group(1)] = m.group(4)
    return seals
