"""Writing a VBA project (vbaProject.bin) from source text, per [MS-CFB] and [MS-OVBA]."""
