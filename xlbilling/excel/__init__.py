"""The Excel edge (xlwings, open source only): the open book as a workbook adapter, and the entry
points the Billing ribbon calls. The jobs themselves are the same the command line runs."""
