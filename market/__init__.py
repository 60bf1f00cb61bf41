"""The ledger: models, database, lifecycle services, import/export, demo data."""
