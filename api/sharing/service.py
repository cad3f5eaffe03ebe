"""Share links: creating, listing and revoking them (reps and marketers), and what the
public page's requests do (`api.sharing.routes` serves the page; `api.sharing.bots` holds
the rules that tell people from bots).

A link works while it is not revoked or expired and its asset is live (approved, not
expired) and shareable, checked at every request of its page, never cached: archiving
the asset, letting it expire or making it internal stops every link at once. The token
is `secrets.token_urlsafe(32)`; only its SHA-256 is stored.

Engagement: each serving of the page to a client not judged a bot is a visit, pending
until it shows a person (`bots.is_real_open`, the `<noscript>` pixel, a download); then
it is a real open: an event `buyer_open` with the deal's id (asset performance counts
them), and the link's first real open raises `share.opened` (claimed once per link)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.assets.models import Asset
from api.assets.presentation import person_ref
from api.assets.visibility import can_see, get_visible, is_live
from api.audit import service as audit
from api.errors import Conflict, Invalid, NotFound
from api.events.models import Event, EventType
from api.events.service import record_event
from api.notifications.events import NotificationType
from api.notifications.service import asset_payload, notify_once
from api.paging import PageRequest, paginate
from api.sharing import bots
from api.sharing.models import ShareLink, ShareVisit
from api.sharing.schemas import (
    DEFAULT_DAYS,
    MAX_DAYS,
    Beacon,
    Engagement,
    OpenOut,
    ShareLinkCreate,
    ShareLinkOut,
)
from api.users.models import User
from api.users.service import Caller, caller_for, people

RECENT_OPENS = 20
BUYER_ROLE = "buyer"  # the role recorded on the events of a share page


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


# --- the API: reps and marketers ------------------------------------------------------


def create_link(
    session: Session, caller: Caller, data: ShareLinkCreate, *, now: datetime
) -> tuple[ShareLink, str]:
    """A new link and its token (shown once). The caller must see the asset (404), which
    must be live (409 `not_live`) and shareable (409 `internal`); a `share` event names
    the deal, so the asset counts as used in it."""
    asset = get_visible(session, caller, data.asset_id, now=now)
    if not is_live(asset, now):
        raise Conflict(
            "only a live asset (approved and not expired) can be shared with a buyer",
            reason="not_live",
            asset_status=asset.status,
        )
    if not asset.shareable:
        raise Conflict(
            "this asset is internal (shareable is false): it cannot be shared with buyers; "
            "a marketer can make it shareable",
            reason="internal",
        )
    expires_at = data.expires_at or now + timedelta(days=DEFAULT_DAYS)
    if expires_at <= now:
        raise Invalid("expires_at must be in the future", loc=["body", "expires_at"])
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise Invalid(f"expires_at is at most {MAX_DAYS} days ahead", loc=["body", "expires_at"])
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        token_sha256=token_hash(token),
        asset_id=asset.id,
        opportunity_id=data.opportunity_id,
        recipient_email=data.recipient_email,
        allow_download=data.allow_download,
        expires_at=expires_at,
        created_by_id=caller.user_id,
        created_at=now,
    )
    session.add(link)
    session.flush()
    record_event(
        session,
        caller,
        asset_id=asset.id,
        type=EventType.share,
        opportunity_id=data.opportunity_id,
        meta={"share_link_id": link.id},
        now=now,
    )
    audit.record(
        session,
        action="share_link.created",
        subject="share_link",
        subject_id=link.id,
        after={
            "asset_id": asset.id,
            "opportunity_id": link.opportunity_id,
            "recipient_email": link.recipient_email,
            "allow_download": link.allow_download,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return link, token


def _may_see_link(caller: Caller, link: ShareLink) -> bool:
    """A rep sees the links they made; marketers and admins (asset owners) see all."""
    return not caller.is_rep or (link.created_by_id is not None and link.created_by_id == caller.id)


def get_link(session: Session, caller: Caller, link_id: str) -> ShareLink:
    link = session.get(ShareLink, link_id)
    if link is None or not _may_see_link(caller, link):
        raise NotFound(f"no share link with id {link_id}")
    return link


def list_links(
    session: Session,
    caller: Caller,
    *,
    opportunity_id: str | None,
    asset_id: str | None,
    page: PageRequest,
) -> tuple[list[ShareLink], int]:
    """Links newest first: a rep's own; every link for marketers and admins."""
    query = select(ShareLink)
    if caller.is_rep:
        query = query.where(col(ShareLink.created_by_id) == caller.id)
    if opportunity_id is not None:
        query = query.where(col(ShareLink.opportunity_id) == opportunity_id)
    if asset_id is not None:
        query = query.where(col(ShareLink.asset_id) == asset_id)
    return paginate(
        session,
        query.order_by(col(ShareLink.created_at).desc(), col(ShareLink.id).desc()),
        page,
    )


def revoke_link(session: Session, caller: Caller, link_id: str, *, now: datetime) -> ShareLink:
    """Stop the link at once (its maker, a marketer or an admin); revoking it again
    changes nothing."""
    link = get_link(session, caller, link_id)
    if link.revoked_at is None:
        session.execute(
            sa.update(ShareLink)
            .where(col(ShareLink.id) == link.id, col(ShareLink.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        session.refresh(link)
        audit.record(
            session,
            action="share_link.revoked",
            subject="share_link",
            subject_id=link.id,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
        )
    return link


def maker_sees(session: Session, link: ShareLink, asset: Asset, now: datetime) -> bool:
    """Whether the link's maker may still see its asset. A rep's link publishes only
    what the rep sees: once the asset is restricted to audiences the rep is not in, the
    link stops. Links made by marketers and admins (who see every asset) are unaffected."""
    if link.created_by_id is None:
        return True
    maker = session.get(User, link.created_by_id)
    if maker is None:
        return True
    caller = caller_for(maker)
    return not caller.is_rep or can_see(session, caller, asset, now)


def unavailable_reason(link: ShareLink, asset: Asset | None, now: datetime) -> str | None:
    """Why the link does not open its page now, or None when it does."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if asset is None or not is_live(asset, now):
        return "asset_unavailable"
    if not asset.shareable:
        return "asset_internal"
    return None


def present(
    session: Session,
    links: Sequence[ShareLink],
    *,
    now: datetime,
    page_counts: Mapping[str, int | None] | None = None,
    urls: Mapping[str, str] | None = None,
    caller: Caller | None = None,
) -> list[ShareLinkOut]:
    """The links as answered to `caller`: a rep who no longer sees a link's asset sees
    neither its title nor the buyer's engagement (the link itself has stopped)."""
    ids = [link.id for link in links]
    assets = {
        a.id: a
        for a in session.exec(
            select(Asset).where(col(Asset.id).in_({link.asset_id for link in links}))
        ).all()
    }
    makers = people(session, {link.created_by_id for link in links if link.created_by_id})
    engagement = _engagement(session, ids, now=now)
    shown = []
    for link in links:
        asset = assets.get(link.asset_id)
        figures = engagement.get(link.id, _Figures())
        active = (
            asset is not None
            and unavailable_reason(link, asset, now) is None
            and maker_sees(session, link, asset, now)
        )
        hidden = (
            asset is not None
            and caller is not None
            and caller.is_rep
            and not can_see(session, caller, asset, now)
        )
        if hidden:
            figures = _Figures()
        shown.append(
            ShareLinkOut(
                id=link.id,
                url=(urls or {}).get(link.id),
                asset_id=link.asset_id,
                asset_title="" if asset is None or hidden else asset.title,
                opportunity_id=link.opportunity_id,
                recipient_email=link.recipient_email,
                expires_at=link.expires_at,
                allow_download=link.allow_download,
                created_by=person_ref(link.created_by_id, makers),
                created_at=link.created_at,
                revoked_at=link.revoked_at,
                active=active,
                engagement=Engagement(
                    opens=len(figures.opens),
                    first_opened_at=min((o.opened_at for o in figures.opens), default=None),
                    last_opened_at=max((o.opened_at for o in figures.opens), default=None),
                    seconds_on_page=sum(o.seconds_on_page for o in figures.opens),
                    pages_viewed=sorted({p for o in figures.opens for p in o.pages_viewed}),
                    page_count=None if hidden else (page_counts or {}).get(link.id),
                    downloads=0 if hidden else link.downloads,
                    bots_filtered=0 if hidden else link.bots_filtered + figures.stale,
                    recent_opens=sorted(figures.opens, key=lambda o: o.opened_at, reverse=True)[
                        :RECENT_OPENS
                    ],
                ),
            )
        )
    return shown


OPEN_WINDOW = timedelta(hours=1)


@dataclass
class _Figures:
    opens: list[OpenOut] = field(default_factory=list)
    stale: int = 0  # visits that never showed a person and are past bots.PENDING_SECONDS


def _engagement(session: Session, link_ids: list[str], *, now: datetime) -> dict[str, _Figures]:
    figures: dict[str, _Figures] = {}
    if not link_ids:
        return figures
    # One client's opens of a link within OPEN_WINDOW of its first count as one open:
    # its visible time capped by the wall time the visits spanned, its pages merged.
    groups: dict[tuple[str, str], list[list[ShareVisit]]] = {}
    for visit in session.exec(
        select(ShareVisit)
        .where(col(ShareVisit.link_id).in_(link_ids))
        .order_by(col(ShareVisit.opened_at), col(ShareVisit.id))
    ).all():
        entry = figures.setdefault(visit.link_id, _Figures())
        if visit.opened_at is not None:
            runs = groups.setdefault((visit.link_id, visit.client or visit.id), [])
            first = runs[-1][0].opened_at if runs else None
            if first is not None and visit.opened_at - first < OPEN_WINDOW:
                runs[-1].append(visit)
            else:
                runs.append([visit])
        elif bots.is_stale(visit.started_at, now):
            entry.stale += 1
    for (link_id, _client), runs in groups.items():
        for run in runs:
            figures[link_id].opens.append(_one_open(run))
    return figures


def _one_open(visits: list[ShareVisit]) -> OpenOut:
    """One open of the visits of one client within an hour (the first is earliest)."""
    span = max(v.last_seen_at for v in visits) - min(v.started_at for v in visits)
    wall = max(0.0, span.total_seconds()) + bots.BEACON_SLACK_SECONDS
    seconds = min(sum(v.visible_seconds for v in visits), wall)
    pages = sorted({p for v in visits for p in _pages(v)})
    started = min(v.started_at for v in visits)
    return OpenOut(opened_at=started, seconds_on_page=round(seconds), pages_viewed=pages)


def _pages(visit: ShareVisit) -> list[int]:
    return sorted(set(visit.pages_seen if visit.scripted else visit.pages_fetched))


# --- the public page: what its requests do ---------------------------------------------


class LinkUnavailable(Exception):
    """The token opens no page: unknown (404) or no longer (410)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def resolve(session: Session, token: str, *, now: datetime) -> tuple[ShareLink, Asset]:
    """The link and its asset, checked now; LinkUnavailable otherwise."""
    if not token or len(token) > 100:
        raise LinkUnavailable(404, "unknown")
    link = session.exec(
        select(ShareLink).where(col(ShareLink.token_sha256) == token_hash(token))
    ).first()
    if link is None:
        raise LinkUnavailable(404, "unknown")
    asset = session.get(Asset, link.asset_id)
    reason = unavailable_reason(link, asset, now)
    if reason is not None or asset is None:
        raise LinkUnavailable(410, reason or "asset_unavailable")
    if not maker_sees(session, link, asset, now):
        raise LinkUnavailable(410, "asset_unavailable")
    return link, asset


def _count_bot(session: Session, link: ShareLink) -> None:
    session.execute(
        sa.update(ShareLink)
        .where(col(ShareLink.id) == link.id)
        .values(bots_filtered=col(ShareLink.bots_filtered) + 1)
    )


def client_key(address: str | None) -> str:
    """What a visit keeps of the client's address: a salted hash, never the address."""
    if not address:
        return ""
    return hashlib.sha256(b"baton share client\x00" + address.encode()).hexdigest()[:32]


def page_served(
    session: Session,
    link: ShareLink,
    *,
    method: str,
    headers: Mapping[str, str],
    now: datetime,
    client: str = "",
) -> ShareVisit | None:
    """The page is being served: a pending visit (suspect after a burst), or None
    (counted in `bots_filtered`) when the request is a bot's by rules 1-4."""
    reason = bots.request_reason(method, headers)
    if reason is None:
        last_pending = session.exec(
            select(ShareVisit.started_at)
            .where(
                col(ShareVisit.link_id) == link.id,
                col(ShareVisit.opened_at).is_(None),
                col(ShareVisit.user_agent) == headers.get("user-agent", "")[:300],
            )
            .order_by(col(ShareVisit.started_at).desc())
            .limit(1)
        ).first()
        reason = bots.timing_reason(
            created_at=link.created_at, now=now, last_pending_start=last_pending
        )
    if reason is not None and reason is not bots.Reason.burst:
        _count_bot(session, link)
        return None
    visit = ShareVisit(
        link_id=link.id,
        started_at=now,
        last_seen_at=now,
        suspect=reason is bots.Reason.burst,
        user_agent=headers.get("user-agent", "")[:300],
        client=client,
    )
    session.add(visit)
    session.flush()
    return visit


def _visit(session: Session, link: ShareLink, visit_id: str | None) -> ShareVisit | None:
    """The link's visit, locked for this transaction (None: unknown or another link's)."""
    if not visit_id or len(visit_id) > 32:
        return None
    visit = session.exec(
        select(ShareVisit)
        .where(col(ShareVisit.id) == visit_id, col(ShareVisit.link_id) == link.id)
        .with_for_update()
    ).first()
    return visit


def _open(
    session: Session, link: ShareLink, asset: Asset, visit: ShareVisit, now: datetime
) -> None:
    """The visit showed a person: a real open (once per visit); the link's first raises
    `share.opened`."""
    if visit.opened_at is not None:
        return
    visit.opened_at = now
    session.add(visit)
    if _opened_lately(session, link, visit, now):
        session.flush()  # the same client's open within the hour: one open, not another
        return
    session.add(
        Event(
            asset_id=link.asset_id,
            type=EventType.buyer_open.value,
            opportunity_id=link.opportunity_id,
            user_id=None,
            role=BUYER_ROLE,
            meta={"share_link_id": link.id},
            created_at=now,
        )
    )
    session.flush()
    payload = asset_payload(session, asset) or {"id": asset.id}
    maker = people(session, {link.created_by_id}) if link.created_by_id else {}
    notify_once(
        session,
        NotificationType.share_opened,
        {
            "share_link": {
                "id": link.id,
                "opportunity_id": link.opportunity_id,
                "recipient_email": link.recipient_email,
                "created_by": person_ref(link.created_by_id, maker).model_dump(),
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
            },
            "asset": payload,
            "opened_at": now.isoformat(),
        },
        subject_id=link.id,
        period="first-open",
        now=now,
    )


def _opened_lately(session: Session, link: ShareLink, visit: ShareVisit, now: datetime) -> bool:
    """Whether the visit's client opened the link within OPEN_WINDOW already."""
    if not visit.client:
        return False
    earlier = session.exec(
        select(ShareVisit.id)
        .where(
            col(ShareVisit.link_id) == link.id,
            col(ShareVisit.client) == visit.client,
            col(ShareVisit.id) != visit.id,
            col(ShareVisit.opened_at) > now - OPEN_WINDOW,
        )
        .limit(1)
    ).first()
    return earlier is not None


def beacon(
    session: Session, link: ShareLink, asset: Asset, data: Beacon, *, page_count: int, now: datetime
) -> bool:
    """What the page's script reported; whether the visit is (now) a real open. A visit
    of another link, or unknown, is ignored."""
    visit = _visit(session, link, data.v)
    if visit is None:
        return False
    heartbeat = bots.Heartbeat.capped(data.visible_ms, since_last=now - visit.last_seen_at)
    visit.visible_seconds += heartbeat.visible_seconds
    visit.interacted = visit.interacted or data.interacted
    visit.scripted = True
    pages = {p for p in data.pages if 1 <= p <= max(page_count, 0)}
    if pages - set(visit.pages_seen):
        visit.pages_seen = sorted(set(visit.pages_seen) | pages)
    visit.last_seen_at = now
    session.add(visit)
    session.flush()
    if bots.is_real_open(
        visible_seconds=visit.visible_seconds, interacted=visit.interacted, suspect=visit.suspect
    ):
        _open(session, link, asset, visit, now)
    return visit.opened_at is not None


def page_image_fetched(
    session: Session,
    link: ShareLink,
    visit_id: str | None,
    number: int,
    *,
    method: str,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    """A page's image was fetched: with scripts off, what counts the pages viewed."""
    if bots.request_reason(method, headers) is not None:
        return
    visit = _visit(session, link, visit_id)
    if visit is not None and number not in visit.pages_fetched:
        visit.pages_fetched = sorted({*visit.pages_fetched, number})
        session.add(visit)
        session.flush()


def noscript_seen(
    session: Session,
    link: ShareLink,
    asset: Asset,
    visit_id: str | None,
    *,
    method: str,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    """The `<noscript>` pixel: a browser with scripts off showed the page."""
    if bots.request_reason(method, headers) is not None:
        return
    visit = _visit(session, link, visit_id)
    if visit is not None and not visit.suspect:
        _open(session, link, asset, visit, now)


def downloaded(
    session: Session,
    link: ShareLink,
    asset: Asset,
    visit_id: str | None,
    *,
    method: str,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    """The file is being downloaded (the link allows it): a person's download counts
    (an event `buyer_download` with the deal's id) and opens the visit it came from."""
    if bots.request_reason(method, headers) is not None:
        _count_bot(session, link)
        return
    session.execute(
        sa.update(ShareLink)
        .where(col(ShareLink.id) == link.id)
        .values(downloads=col(ShareLink.downloads) + 1)
    )
    session.add(
        Event(
            asset_id=link.asset_id,
            type=EventType.buyer_download.value,
            opportunity_id=link.opportunity_id,
            user_id=None,
            role=BUYER_ROLE,
            meta={"share_link_id": link.id},
            created_at=now,
        )
    )
    session.flush()
    visit = _visit(session, link, visit_id)
    if visit is not None:
        _open(session, link, asset, visit, now)
