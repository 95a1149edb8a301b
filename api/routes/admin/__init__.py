"""The admin console: one router per resource, bearer-token auth."""
