"""One module per vendor: its payload -> IncomingMessage, replies -> its format and limits."""
