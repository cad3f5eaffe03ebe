"""Change records: one log of what each unit of work changed, read by every consumer."""
