"""Freshness policies: a review interval per kind, verification by the owner, and the
fresh / due / overdue state computed from them."""
