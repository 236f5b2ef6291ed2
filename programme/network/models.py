"""What the service network stores: one row per station, point, teaching point or exam point, owned by the
organisation that registered it (a union, or an enterprise or institution for teaching and exam points) and placed
in a city or county (its area, what workers pick on the list); and the staff accounts a union names for a point."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.columns import string_enum


class PointKind(enum.StrEnum):
    station = "station"  # 市级农民工教育服务站, registered by a city union
    point = "point"  # 县级教育服务点, registered by a county union
    teaching = "teaching"  # 教学点, registered by an enterprise or an institution
    exam = "exam"  # 考试点, registered by an enterprise or an institution


UNION_KINDS = (PointKind.station, PointKind.point)
HOSTED_KINDS = (PointKind.teaching, PointKind.exam)


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registering organisation: a city or county union, or an enterprise or institution; its staff (and, for a
    # union, the unions above) manage the row.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # The city or county union area the point is in: a union's own point is in its own area; an enterprise's
    # teaching point is wherever its address is. The list "by city/county" asks this, not the owner.
    area_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PointKind] = mapped_column(string_enum(PointKind, "point_kind"))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(100))  # free text: "周一至周五 9:00-17:00"
    phone: Mapped[str] = mapped_column(String(30))
    contact: Mapped[str] = mapped_column(String(50), default="")  # the person to ask for; "" = anyone there
    capacity: Mapped[int | None] = mapped_column()  # seats (teaching) or places per session (exam); None = unsaid
    # WGS-84 degrees, typed in by the registrant (no map service is called); None = the list cannot measure it.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    services: Mapped[str] = mapped_column(Text, default="")  # one service a line
    active: Mapped[bool] = mapped_column(default=True)  # False once closed: hidden from workers, kept for history
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[org_id])
    area: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[area_id])
    staff: Mapped[list[PointStaff]] = relationship(back_populates="point", cascade="all, delete-orphan",
                                                   lazy="selectin", order_by="PointStaff.id")

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PointStaff(Base):
    """A staff account of a station or point (服务站点工作人员), named by its union: it answers the enquiries of
    the point's area (programme/voice/point_desk.py) and nothing else a union's staff may do. Removing the row
    ends it."""

    __tablename__ = "service_point_staff"
    __table_args__ = (UniqueConstraint("point_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    point: Mapped[ServicePoint] = relationship(back_populates="staff")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
