"""What data sharing stores: the departments' API tokens. The token itself is shown once when made and kept only
as its SHA-256 digest (a random 256-bit secret needs no slow hash: nothing short enough to guess hides behind it);
its first characters stay readable so a list and the audit log can name it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.db import Base, utcnow


class ApiToken(Base):
    """One department's key to the exchange API, with the scopes it may use; revoked, never deleted (audit
    entries name it)."""

    __tablename__ = "exchange_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # what it is for, e.g. "人社厅证书系统"
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the whole token
    scopes: Mapped[str] = mapped_column(String(200))  # space separated, e.g. "admissions:read certificates:write"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    org: Mapped[Organisation] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def label(self) -> str:
        """How the audit log names the caller: the token's prefix and its department."""
        return f"API {self.prefix}… {self.org.name}"[:80]


class ApiPush(Base):
    """Which token brought a pushed result in: one row per exchange batch the API made (a file's batch has none).
    Kept here, not on the batch, so the file exchange below knows nothing of the API above it."""

    __tablename__ = "exchange_api_pushes"

    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id", ondelete="CASCADE"), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("exchange_api_tokens.id", ondelete="RESTRICT"), index=True)
