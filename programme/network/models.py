"""What the service network stores: one row per station or point, owned by the union that registered it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.db import Base, utcnow
from programme.columns import string_enum


class PointKind(enum.StrEnum):
    station = "station"  # 市级农民工教育服务站, registered by a city union
    point = "point"  # 县级教育服务点, registered by a county union


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registering union (city or county); its staff and the unions above manage the row.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PointKind] = mapped_column(string_enum(PointKind, "point_kind"))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(100))  # free text: "周一至周五 9:00-17:00"
    phone: Mapped[str] = mapped_column(String(30))
    services: Mapped[str] = mapped_column(Text, default="")  # one service a line
    active: Mapped[bool] = mapped_column(default=True)  # False once closed: hidden from workers, kept for history
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]
