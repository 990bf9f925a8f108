"""Rebuild the bundled workbooks from source: `python workbooks/build.py`.

- BillingTemplate.xlsx: the empty master workbook (`xlbilling new`).
- SampleBilling.xlsx: the seeded sample book (`xlbilling new --sample`).
"""

from pathlib import Path

from xlbilling.io.template import build_workbook
from xlbilling.sample import build_sample

HERE = Path(__file__).parent


def main() -> None:
    template = HERE / "BillingTemplate.xlsx"
    template.write_bytes(build_workbook(template))
    sample = HERE / "SampleBilling.xlsx"
    rows, settings = build_sample()
    sample.write_bytes(build_workbook(sample, rows, settings))
    print(f"wrote {template.name} and {sample.name}")


if __name__ == "__main__":
    main()
