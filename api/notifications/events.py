"""The events Baton notifies about: their names, as webhooks subscribe to them."""

from __future__ import annotations

from enum import StrEnum


class NotificationType(StrEnum):
    asset_approved = "asset.approved"
    asset_updated = "asset.updated"
    asset_expired = "asset.expired"
    asset_due_for_review = "asset.due_for_review"
    asset_archived = "asset.archived"
    # An asset it depends on (what proves it, what it follows up) expired.
    asset_dependency_expired = "asset.dependency_expired"
    question_asked = "question.asked"
    # A buyer's first real open of a share link's page (`api.sharing`), once per link.
    share_opened = "share.opened"
    rules_violated = "rules.violated"
    gaps_weekly_digest = "gaps.weekly_digest"


# Events that also reach people by email (when BATON_SMTP_URL is set): the asset's owner
# for reminders, the marketing leads (marketers and admins) for the digest.
OWNER_REMINDERS = frozenset(
    {
        NotificationType.asset_expired,
        NotificationType.asset_due_for_review,
        NotificationType.rules_violated,
    }
)
LEADS_DIGESTS = frozenset({NotificationType.gaps_weekly_digest})
