"""Every table, imported in one place so that Alembic and the app see the whole schema."""

from api.accounts.models import AccountToken, LoginFailure, OidcLogin, Password, WebSession
from api.assets.models import Asset, AssetQuestion, AssetTag, AssetTerm, AssetVersion
from api.audiences.models import AssetAudience, Audience, AudienceMember
from api.audit.models import AuditEntry
from api.changes.models import Change, ChangeConsumer
from api.collections.models import Collection, CollectionAsset, CollectionTerm
from api.crm.models import CrmDeal, CrmEvent
from api.discovery.models import SearchLog, SearchOpen, Synonym
from api.duplicates.models import AssetSignature, AssetSignatureBand
from api.events.models import Event, OpportunityOutcome
from api.freshness.models import AssetVerification, FreshnessPolicy
from api.links.models import AssetLink
from api.messaging.models import MessagingRule
from api.notifications.models import (
    NotificationClaim,
    NotificationEmail,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
)
from api.questions.models import Question, QuestionAlias
from api.sharing.models import ShareLink, ShareVisit
from api.taxonomy.models import Term
from api.users.models import ApiKey, User

__all__ = [
    "AccountToken",
    "ApiKey",
    "Asset",
    "AssetAudience",
    "AssetLink",
    "AssetQuestion",
    "AssetSignature",
    "AssetSignatureBand",
    "AssetTag",
    "AssetTerm",
    "AssetVerification",
    "AssetVersion",
    "Audience",
    "AudienceMember",
    "AuditEntry",
    "Change",
    "ChangeConsumer",
    "Collection",
    "CollectionAsset",
    "CollectionTerm",
    "CrmDeal",
    "CrmEvent",
    "Event",
    "FreshnessPolicy",
    "LoginFailure",
    "MessagingRule",
    "NotificationClaim",
    "NotificationEmail",
    "OidcLogin",
    "OpportunityOutcome",
    "OutboxEvent",
    "Password",
    "Question",
    "QuestionAlias",
    "SearchLog",
    "SearchOpen",
    "ShareLink",
    "ShareVisit",
    "Synonym",
    "Term",
    "User",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
]
