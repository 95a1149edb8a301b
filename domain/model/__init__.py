"""Plain dataclasses for the business: catalog, parties, orders, schemes, ledger."""
