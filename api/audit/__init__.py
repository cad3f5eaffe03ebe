"""The audit log: who changed what, when, and the fields before and after."""
