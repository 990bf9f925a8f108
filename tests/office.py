"""LibreOffice, headless, as the tests run it: the real spreadsheet application that opens, recalculates
and converts what we write."""

import shutil
import subprocess
from pathlib import Path


def csv_of(sheet: int = -1) -> str:
    """The CSV filter: comma-separated, quoted, UTF-8, formulas as text; `sheet` -1 writes every sheet
    (each to <name>-<sheet>.csv), N the Nth."""
    return f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheet}"


def convert(source: Path, to: str, outdir: Path, profile: Path, check: bool = False) -> subprocess.CompletedProcess:
    """`source` converted `to` a format ("pdf", "ods", csv_of(...)) into `outdir`, with a user profile of
    its own under `profile` (so runs in parallel never share one)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed for this test: .ci/run installs it (apt-get install libreoffice-calc-nogui)"
    return subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}/lo", "--convert-to", to,
                           "--outdir", str(outdir), str(source)], capture_output=True, text=True, timeout=180,
                          check=check)
