"""Render the pictures the README shows: a sample invoice, statement and credit memo, and the first
pages of the manager report, from the bundled sample run through `xlbilling demo`.

    python docs/make_images.py        (needs LibreOffice and pdftoppm: poppler-utils)

The PNGs go to docs/images/, replacing what is there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images"
DPI = "70"


def _png(pdf: Path, name: str, pages: int = 1) -> list[Path]:
    """The first pages of a PDF as docs/images/<name>-<n>.png."""
    made = []
    for page in range(1, pages + 1):
        stem = IMAGES / f"{name}-{page}"
        subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", DPI, "-png", "-singlefile", str(pdf),
                        str(stem)], check=True)
        made.append(stem.with_suffix(".png"))
    return made


def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        print("LibreOffice and pdftoppm are needed (apt-get install libreoffice-calc-nogui poppler-utils)",
              file=sys.stderr)
        return 1
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "xlbilling.cli", "demo", str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
        invoices = folder / "Invoices"
        invoice = max((p for p in invoices.glob("INV-*.pdf")), key=lambda p: p.stat().st_size)  # the fullest one
        statement = next(p for p in sorted((invoices / "statements").glob("*.pdf")))
        memo = next(p for p in sorted((invoices / "credit memos").glob("*.pdf")))
        made = _png(invoice, "invoice") + _png(statement, "statement") + _png(memo, "credit-memo")
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo", "--convert-to", "pdf",
                        "--outdir", tmp, str(folder / "ManagerReport.xlsx")], check=True, stdout=subprocess.DEVNULL)
        made += _png(Path(tmp) / "ManagerReport.pdf", "report", pages=4)
    for path in made:
        print(path.relative_to(IMAGES.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
