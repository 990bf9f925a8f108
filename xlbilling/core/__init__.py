"""The pure billing core: models, money, schedules, invoicing and accounting. No Excel library is imported here."""
