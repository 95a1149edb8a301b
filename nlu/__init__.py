"""Chat message -> structured parse (intent, items, period ...). Uses only the domain model."""
