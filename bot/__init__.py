"""Chat: channel adapters, dialogue, conversation state, dedup and locks."""
