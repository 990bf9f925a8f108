"""xlbilling: contract billing for IT service providers, living in an Excel master workbook."""

__version__ = "0.1.0"
