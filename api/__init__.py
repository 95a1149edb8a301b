"""The FastAPI app (webhooks, admin console, web chat) and the `dms` command."""
