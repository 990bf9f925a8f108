"""I/O at the edges: reading workbooks into typed records, writing tabs and reports."""
