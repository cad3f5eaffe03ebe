"""/v1/audit: the audit log, for admins; read-only (entries cannot be changed)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine

from api.audit import formats, service
from api.audit.schemas import AuditEntryOut
from api.deps import AdminDep, PageDep, SessionDep, app_part
from api.schemas import Page, UTCTimestamp

router = APIRouter(prefix="/v1/audit", tags=["audit"])

EngineDep = Annotated[Engine, app_part("engine")]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a page of entries (JSON), or every matching entry (`format=csv`)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    403: {"description": "only admins read the audit log"},
}


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    operation_id="listAuditEntries",
    summary="List the audit log",
    responses=CSV_RESPONSE,
)
def list_audit_entries(
    session: SessionDep,
    _: AdminDep,
    engine: EngineDep,
    page: PageDep,
    actor: Annotated[
        str | None, Query(max_length=64, description='an actor id: a user id, "admin", ...')
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description='an action ("asset.approved") or a family ("asset": every asset.*)',
        ),
    ] = None,
    subject: Annotated[
        str | None, Query(max_length=32, description='the kind of subject, e.g. "asset"')
    ] = None,
    subject_id: Annotated[str | None, Query(max_length=64, description="the subject's id")] = None,
    since: Annotated[
        UTCTimestamp | None, Query(description="entries at or after (RFC 3339)")
    ] = None,
    until: Annotated[UTCTimestamp | None, Query(description="entries before (RFC 3339)")] = None,
    format: Annotated[
        Literal["json", "csv"],
        Query(description="`csv`: every matching entry as a CSV download (no paging)"),
    ] = "json",
) -> Page[AuditEntryOut] | StreamingResponse:
    """Who changed what and when, newest first, with the changed fields before and after.
    Filters combine; `format=csv` streams every matching entry (paging ignored)."""
    filters = service.AuditFilters(
        actor=actor, action=action, subject=subject, subject_id=subject_id, since=since, until=until
    )
    if format == "csv":
        entries = service.each_entry(engine, filters)
        return StreamingResponse(
            formats.csv_chunks(entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="baton-audit.csv"'},
        )
    rows, total = service.list_entries(session, filters, page=page)
    return Page[AuditEntryOut].of([AuditEntryOut.model_validate(r) for r in rows], total, page)


@router.get(
    "/{entry_id}",
    response_model=AuditEntryOut,
    operation_id="getAuditEntry",
    summary="Read one audit entry",
    responses={403: {"description": "only admins read the audit log"}},
)
def get_audit_entry(
    entry_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="the entry's id")],
    session: SessionDep,
    _: AdminDep,
) -> AuditEntryOut:
    """One entry of the audit log. Entries cannot be changed: no other method is allowed."""
    return AuditEntryOut.model_validate(service.get_entry(session, entry_id))
