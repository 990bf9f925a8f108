"""Fonts for the PDFs that keep every script: a Unicode text font (DejaVu Sans, else Arial or Segoe UI)
and fallbacks for what it lacks (CJK, emoji), found where the operating system's packages put them.
On Debian/Ubuntu: `apt-get install fonts-dejavu-core fonts-droid-fallback fonts-symbola` (`.ci/run`
does); Windows and macOS have their own. With none found, the PDFs use the built-in Latin-1 fonts."""

from __future__ import annotations

from functools import lru_cache, cache
from pathlib import Path
from typing import NamedTuple

_TEXT = (  # (regular, bold), first found wins
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/segoeui.ttf", "C:/Windows/Fonts/segoeuib.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("/Library/Fonts/Arial Unicode.ttf", "/Library/Fonts/Arial Bold.ttf"),
)
_FALLBACKS = (  # what the text font lacks: CJK, then symbols and emoji
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
    "/usr/share/fonts/truetype/Symbola.ttf",
    "C:/Windows/Fonts/seguisym.ttf",
    "C:/Windows/Fonts/seguiemj.ttf",
)


class UnicodeFonts(NamedTuple):
    regular: Path
    bold: Path
    fallbacks: tuple[Path, ...]


@lru_cache(maxsize=1)
def unicode_fonts() -> UnicodeFonts | None:
    """The fonts found on this machine (None: no Unicode text font; the built-in fonts are used)."""
    for regular, bold in _TEXT:
        if Path(regular).is_file():
            fallbacks = tuple(dict.fromkeys(Path(f) for f in _FALLBACKS if Path(f).is_file() and f != regular))
            return UnicodeFonts(Path(regular), Path(bold) if Path(bold).is_file() else Path(regular), fallbacks)
    return None


@cache
def covered(path: Path) -> frozenset[str]:
    """The characters a font has glyphs for (read once per font and process)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    font = TTFont(path, lazy=True, fontNumber=0)
    return frozenset(map(chr, font["cmap"].getBestCmap() or {}))
