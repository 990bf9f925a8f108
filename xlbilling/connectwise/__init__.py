"""ConnectWise PSA (Manage) in: its records mapped to workbook rows (mapping), read from the REST
API's JSON or the list-view exports (sources), and merged into the workbook by source_ref (merge)."""
