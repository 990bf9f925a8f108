"""Rebuild the bundled workbooks from source: `python workbooks/build.py`.

- BillingTemplate.xlsx: the empty master workbook (`xlbilling new`).
- SampleBilling.xlsx: the seeded sample book (`xlbilling new --sample`).
- BillingMaster.xlsm: the template with the Billing ribbon and its VBA project (macros/).
"""

from pathlib import Path

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
    print(f"wrote {template.name}, {sample.name} and {master.name}")


if __name__ == "__main__":
    main()
