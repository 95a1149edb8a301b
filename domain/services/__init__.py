"""Service layer: command handlers, unit of work, read views, file imports."""
