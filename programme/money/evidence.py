"""Evidence files on subsidy claims (补贴证明材料): a scan or photo of the diploma or certificate.

A file is judged by its content with the credit bank's check (credits.evidence_files.check_evidence: a real PDF,
JPEG or PNG, at most 10 MB, a PDF parsed and refused if it holds scripts, launch actions, attached files or XFA,
images re-encoded so nothing embedded survives), and sent back with credits.evidence_files.send. Files go
through the media storage interface under keys we generate; only the claimant, the institution and the unions
that verify the claim may fetch them (policy "subsidy.evidence")."""

from __future__ import annotations

import io
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import stores
from app.accounts.models import User
from app.accounts.policy import can, require
from app.db import hold_row
from app.errors import Conflict, Invalid, NotFound
from app.storage import LocalStorage, Storage
from credits.evidence_files import check_evidence
from media import pending_files
from programme.money.models import ClaimEvidence, ClaimStatus, SubsidyClaim

FIELD = "evidence_file"
MAX_FILES = 5
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}


def storage(where: Mapping[str, Any] | str) -> Storage:
    """The claim evidence store of an app's configuration (MEDIA_STORAGE), or the folder under a data folder."""
    if isinstance(where, str):
        return LocalStorage(Path(where) / "claim_evidence")
    return stores.area(where, "claim_evidence")


def check(data: bytes) -> tuple[str, bytes]:
    """(kind, bytes to keep), or Invalid with the message on FIELD."""
    try:
        kind, kept = check_evidence(data)
    except Invalid as err:
        message = err.fields.get("evidence") or err.message
        raise Invalid(_("证明材料未能接收，已保存的内容不受影响。"), code="bad_evidence",
                      fields={FIELD: message}) from None
    return kind, kept


def store(session: Session, actor: Any, claim: SubsidyClaim, kind: str, kept: bytes, files: Storage) -> ClaimEvidence:
    """Write an already checked file and its row (the caller has checked who may); the file goes again if the
    row is not committed."""
    key = f"claims/{claim.id}/{secrets.token_hex(16)}.{EXTENSIONS[kind]}"
    size = files.put(key, io.BytesIO(kept))
    pending_files.written(session, files, key)
    item = ClaimEvidence(claim_id=claim.id, key=key, kind=kind, size=size, uploaded_by_id=getattr(actor, "id", None))
    session.add(item)
    session.flush()
    session.refresh(claim)
    return item


def attach(session: Session, actor: User, claim: SubsidyClaim, uploads: Sequence[bytes],
           files: Storage) -> list[ClaimEvidence]:
    """Add files to a claim awaiting review. Every file is checked before any is kept, so a refused one changes
    nothing: no row, and no file left in storage without one. The claim's row is held from the count to the commit
    (app.db.hold_row), and what was read is read again under it: a second upload at the same moment counts these
    files, and an approval (subsidies.decide) either comes first, and these are refused, or sees its check voided."""
    require(actor, "subsidy.claim", claim.enrolment)
    _may_add(claim, len(uploads))  # at once, before the files are read
    checked = [check(data) for data in uploads]
    hold_row(session, SubsidyClaim, claim.id)
    session.refresh(claim)
    _may_add(claim, len(uploads))
    kept = [store(session, actor, claim, kind, data, files) for kind, data in checked]
    if claim.evidence_checked_at is not None:  # the check was of the files before these: it is looked at again
        claim.evidence_checked_by_id, claim.evidence_checked_at, claim.evidence_check_note = None, None, ""
        session.flush()
    return kept


def _may_add(claim: SubsidyClaim, count: int) -> None:
    if claim.status != ClaimStatus.claimed:
        raise Conflict(_("这份补贴申请已经审核，不能再补充材料。"), code="already_decided")
    if len(claim.files) + count > MAX_FILES:
        raise Invalid(_("每份申请最多上传%(n)d个文件。", n=MAX_FILES), code="too_many_files",
                      fields={FIELD: _("每份申请最多上传%(n)d个文件。", n=MAX_FILES)})


def for_download(session: Session, actor: Any, evidence_id: int) -> ClaimEvidence:
    """The file's row for those who may see it; everyone else is told it is not there."""
    found = session.get(ClaimEvidence, evidence_id)
    if found is None or actor is None or not can(actor, "subsidy.evidence", found.claim):
        raise NotFound(_("没有这个文件。"))
    return found


def download_name(item: ClaimEvidence) -> str:
    return f"claim-{item.claim_id}-evidence-{item.id}.{EXTENSIONS[item.kind]}"
