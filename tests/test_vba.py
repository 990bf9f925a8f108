"""The master .xlsm and its VBA project, read back by two independent readers (olevba, LibreOffice)."""

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser

from xlbilling.vba.master import MACROS, build_master, xlwings_modules
from xlbilling.vba.ovba import compress, decompress, encrypt

from .office import convert

BUNDLED = Path(__file__).parent.parent / "workbooks" / "BillingMaster.xlsm"


def norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    path = tmp_path_factory.mktemp("vba") / "BillingMaster.xlsm"
    path.write_bytes(build_master(path))
    return path


@pytest.fixture(scope="module")
def modules(master):
    return {name.rsplit(".", 1)[0]: code for (_, _, name, code) in VBA_Parser(str(master)).extract_macros()}


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=12000), st.text(max_size=6000).map(lambda t: t.encode("utf-8") * 3)))
def test_compression_round_trips(data):
    assert decompress(compress(data)) == data


def test_compressed_chunks_respect_the_size_limit():
    data = bytes(range(256)) * 64
    packed = compress(data)
    pos = 1
    while pos < len(packed):
        header = int.from_bytes(packed[pos:pos + 2], "little")
        assert header >> 12 & 0b111 == 0b011 and (header & 0x0FFF) + 3 <= 4098
        pos += (header & 0x0FFF) + 3


def _decrypt(hex_text: str) -> bytes:
    """[MS-OVBA] 2.4.3.3, written independently of the encryption for the test."""
    data = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = data[0], data[1], data[2]
    assert version_enc ^ seed == 2
    unenc1, enc1, enc2, out = key_enc ^ seed, key_enc, version_enc, []
    for b in data[3:]:
        plain = b ^ ((unenc1 + enc2) & 0xFF)
        out.append(plain)
        enc2, enc1, unenc1 = enc1, b, plain
    ignored = (seed & 6) // 2
    length = int.from_bytes(bytes(out[ignored:ignored + 4]), "little")
    return bytes(out[ignored + 4:ignored + 4 + length])


@pytest.mark.parametrize("data", [b"\x00", b"\xff", b"\x00\x00\x00\x00"])
def test_protection_fields_decrypt_to_what_was_written(data):
    for seed in (0x00, 0x11, 0x22, 0x33, 0xFE):
        assert _decrypt(encrypt("{0C3A4CE5-1234-5678-9ABC-DEF012345678}", data, seed)) == data


def test_the_build_is_byte_reproducible_and_bundled(master):
    assert build_master(master) == master.read_bytes()
    assert BUNDLED.read_bytes() == master.read_bytes(), "run python workbooks/build.py"


def test_ribbon_part_and_relationship(master):
    with zipfile.ZipFile(master) as z:
        assert "customUI/customUI14.xml" in z.namelist() and "xl/vbaProject.bin" in z.namelist()
        assert b"ui/extensibility" in z.read("_rels/.rels") and b"customUI/customUI14.xml" in z.read("_rels/.rels")
        assert b"macroEnabled" in z.read("[Content_Types].xml")
        ui = z.read("customUI/customUI14.xml").decode()
    assert re.search(r'<tab id="xlbBilling" label="Billing"', ui)
    for group in ("Month", "Receivables", "Documents", "Functions", "Help"):
        assert f'label="{group}"' in ui


def test_every_ribbon_action_is_a_sub_in_the_project(master, modules):
    with zipfile.ZipFile(master) as z:
        actions = re.findall(r'onAction="([^"]+)"', z.read("customUI/customUI14.xml").decode())
    subs = set(re.findall(r"^Sub (\w+)\(control As IRibbonControl\)", modules["Billing"], re.M))
    assert actions and set(actions) <= subs
    targets = re.findall(r'RunPython "import (\S+) as e; e\.(\w+)\(', modules["Billing"])
    assert {t for _, t in targets} == {"validate", "close_month", "post", "refresh", "invoices", "send", "report",
                                       "import_connectwise", "import_counts"}


def test_olevba_extracts_our_modules_and_xlwings_unchanged(modules):
    for path in MACROS.glob("*.bas"):
        assert norm(modules[path.stem]) == norm(path.read_text(encoding="cp1252")), path.name
    for module in xlwings_modules():
        assert norm(modules[module.name]) == norm(module.source), module.name


def test_code_names_match_the_document_modules(master, modules):
    with zipfile.ZipFile(master) as z:
        names = [re.search(rb'codeName="([^"]+)"', z.read(n)).group(1).decode()
                 for n in sorted(z.namelist()) if re.match(r"xl/worksheets/sheet\d+\.xml$", n)]
        sheet_titles = re.findall(rb'<sheet name="([^"]+)"', z.read("xl/workbook.xml"))
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
    assert set(names) <= set(modules) and "ThisWorkbook" in modules
    assert not any(t.endswith(b".py") for t in sheet_titles)  # a .py sheet switches xlwings to a licensed path
    assert b"xlwings.conf" in sheet_titles


def test_libreoffice_opens_it_and_its_basic_library_holds_our_modules(master, tmp_path):
    convert(master, "ods", tmp_path, tmp_path)
    with zipfile.ZipFile(tmp_path / "BillingMaster.ods") as z:
        basic = {Path(n).stem for n in z.namelist() if n.startswith("Basic/VBAProject/")}
        billing = z.read("Basic/VBAProject/Billing.xml").decode()
    assert {"Billing", "xlwings", "Dictionary", "ThisWorkbook"} <= basic
    assert "Sub BillingClose" in billing and "RunPython" in billing
