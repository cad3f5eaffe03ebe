"""Notifications: the durable outbox (`service.notify`), webhooks signed per the Standard
Webhooks specification, owner reminders and digests by email, and the time-based events
claimed once in the database (`schedule`)."""
