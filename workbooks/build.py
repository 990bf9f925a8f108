"""Rebuild the bundled workbooks from source: `python workbooks/build.py`.

- BillingTemplate.xlsx: the empty master workbook (`xlbilling new`).
- SampleBilling.xlsx: the seeded sample book (`xlbilling new --sample`).
- BillingMaster.xlsm: the template with the Billing ribbon and its VBA project (macros/).
- README.md's table of the checks, from the rule registry.
"""

import re
from pathlib import Path

from xlbilling.audit import rules_markdown

from xlbilling.io.template import build_workbook
from xlbilling.sample import build_sample
from xlbilling.vba.master import build_master

HERE = Path(__file__).parent


def main() -> None:
    template = HERE / "BillingTemplate.xlsx"
    template.write_bytes(build_workbook(template))
    sample = HERE / "SampleBilling.xlsx"
    rows, settings = build_sample()
    sample.write_bytes(build_workbook(sample, rows, settings))
    master = HERE / "BillingMaster.xlsm"
    master.write_bytes(build_master(master))
    readme = HERE.parent / "README.md"
    readme.write_text(with_rule_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {template.name}, {sample.name}, {master.name} and the checks in {readme.name}")


RULES_START, RULES_END = "<!-- the checks: written by workbooks/build.py -->\n", "<!-- end of the checks -->"


def with_rule_table(readme: str) -> str:
    """README text with its table of the checks as the registry declares them."""
    return re.sub(re.escape(RULES_START) + ".*?" + re.escape(RULES_END),
                  lambda _: RULES_START + rules_markdown() + RULES_END, readme, flags=re.S)


if __name__ == "__main__":
    main()
