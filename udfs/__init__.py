"""Excel custom functions for xlbilling (registered through `UDF Modules = udfs.billing`)."""
