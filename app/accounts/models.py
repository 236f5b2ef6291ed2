"""What is stored about people and organisations: users, their memberships (which give roles) and the
invitations that become memberships once accepted, the organisation tree, worker profiles, signed-in sessions,
failed logins for throttling, and what keeps an account with its owner: SMS verification codes, phone number
changes and merges of two accounts."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Date, DateTime, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class OrgKind(enum.StrEnum):
    union = "union"
    institution = "institution"
    enterprise = "enterprise"
    education_dept = "education_dept"
    hr_dept = "hr_dept"


class OrgLevel(enum.StrEnum):
    """Administrative level; unions exist at all four, other bodies sit at the level they serve."""

    province = "province"
    city = "city"
    county = "county"
    township = "township"


class Role(enum.StrEnum):
    worker = "worker"
    institution_staff = "institution_staff"
    union_staff = "union_staff"
    enterprise_staff = "enterprise_staff"
    admin = "admin"


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: readable in SQL and portable to PostgreSQL.
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # National administrative-division code for unions (330000, 330100, 330102, 330102001...);
    # institutions and enterprises get a code of our making, unique across all organisations.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    level: Mapped[OrgLevel] = mapped_column(_enum(OrgLevel, "org_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # Materialised path of codes, "/330000/330100/330102/": "this org and everything below it" is
    # one indexed prefix match, which the policy asks on almost every request.
    path: Mapped[str] = mapped_column(String(400), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id", back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent", order_by="Organisation.code")

    def is_within(self, other: Organisation) -> bool:
        """True when self is `other` or lies anywhere below it."""
        return self.path.startswith(other.path)

    def nearest_union(self) -> Organisation | None:
        """Itself when a union, else the first union above it: a department's area (辖区)."""
        org: Organisation | None = self
        while org is not None and org.kind != OrgKind.union:
            org = org.parent
        return org

    def __repr__(self) -> str:
        return f"<Organisation {self.code} {self.name}>"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))  # display name, shown to others
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped on password change so that other sessions and remember-me cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The union whose recruitment link brought this user in (reports roll it up the tree).
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # Set when staff merged this account into another (same ID card): this one is disabled and points there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    profile: Mapped[WorkerProfile | None] = relationship(back_populates="user", cascade="all, delete-orphan")
    referred_by: Mapped[Organisation | None] = relationship()
    merged_into: Mapped[User | None] = relationship(remote_side="User.id")

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_active_account

    # The signed-in session (UserSession.id) this object was loaded for or logged in with; not a column (the
    # annotation only for mypy: the ORM would take an annotated class attribute for a column).
    if TYPE_CHECKING:
        session_id: str | None
    session_id = None

    def get_id(self) -> str:
        # Flask-Login stores this in the session cookie and the remember-me cookie: the account, its session
        # version (bumped by a password change and by "log out everywhere"), and the session's row.
        return f"{self.id}:{self.session_version}:{self.session_id or ''}"

    def roles(self) -> set[Role]:
        return {Role.worker} | {m.role for m in self.memberships}


class Membership(Base):
    """A role a user holds, in an organisation (none for admin, which is site-wide)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    # The organisation's own administrator: appoints and removes its staff. Institutions, enterprises and
    # departments have one (made by a site admin); union staff are appointed by the unions above instead.
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class JobLevel(enum.StrEnum):
    front_line = "front_line"
    workshop_director = "workshop_director"
    above = "above"


class EmployerType(enum.StrEnum):
    enterprise = "enterprise"
    government_organ = "government_organ"
    public_institution = "public_institution"


class Education(enum.StrEnum):
    none = "none"
    junior_middle = "junior_middle"
    high_school = "high_school"
    secondary_vocational = "secondary_vocational"
    equivalent = "equivalent"  # 同等学力
    zhuanke = "zhuanke"
    benke = "benke"
    postgraduate = "postgraduate"


class WorkerProfile(Base):
    """What the programme's eligibility rules need to know about a worker."""

    __tablename__ = "worker_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    real_name: Mapped[str | None] = mapped_column(String(50))
    # 18 characters, checksum validated; shown only masked (see app.accounts.masking).
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    employer: Mapped[str | None] = mapped_column(String(200))
    job_level: Mapped[JobLevel | None] = mapped_column(_enum(JobLevel, "job_level"))
    union_member: Mapped[bool] = mapped_column(default=False)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)  # last day in force; NULL = no fixed end
    employer_type: Mapped[EmployerType | None] = mapped_column(_enum(EmployerType, "employer_type"))
    education: Mapped[Education | None] = mapped_column(_enum(Education, "education"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")
    union: Mapped[Organisation | None] = relationship()


class UserSession(Base):
    """One signed-in session (a browser, a phone). Its id travels in the signed session cookie and the
    remember-me cookie; logging out deletes the row, so a copy of either cookie stops working."""

    __tablename__ = "user_sessions"

    # Random, 22 URL-safe characters: unguessable even apart from the cookie's signature.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailure(Base):
    """One failed attempt, counted in a sliding window to throttle guessing: failed logins per (number,
    source address) and per number; "code" rows count wrong SMS verification codes per source address;
    "password" rows wrong current passwords on the password form, per account (its number)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_phone_at", "phone", "at"),
                      Index("ix_login_failures_source_at", "source", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    # The client's address (an IPv6 address cut to its /64, what one subscriber holds); "" when unknown.
    source: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16), default="login")  # login | code | password
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VerificationCode(Base):
    """A 6-digit code sent by SMS. Only its keyed hash is kept (bound to the number and the purpose, so a code
    for one number or one purpose is worth nothing for another); it expires within minutes, allows a few wrong
    tries, and is used once. The rows also count the codes sent per number and per source address."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_phone_sent_at", "phone", "sent_at"),
                      Index("ix_verification_codes_source_sent_at", "source", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(16))  # register | reset | phone_old | phone_new | phone_staff
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(secret key, purpose:phone:code), hex
    source: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    wrong_tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class PhoneChangeRequest(Base):
    """A worker whose old number is gone asks, from the new (verified) number, to move the account there; union
    staff of the worker's area or a site admin approves after checking the ID card against the profile."""

    __tablename__ = "phone_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    old_phone: Mapped[str] = mapped_column(String(11))
    new_phone: Mapped[str] = mapped_column(String(11))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AccountMerge(Base):
    """Two accounts of one person made one: what was moved, and every row that could not be moved (a second
    enrolment in the same course...) as it was, so the merge can be reviewed and nothing is lost."""

    __tablename__ = "account_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # {"moved": {"table.column": n}, "replaced": [{"table", "kept", "row"}], "source": {...}}
    record: Mapped[str] = mapped_column(Text, default="{}")


class StaffInvitation(Base):
    """An appointment waiting for the appointee's consent: an organisation (or a package's duty within one, such as
    a station's desk) invites whoever holds a phone number, and nothing is granted until that person accepts.
    Addressed to the number as typed, so sending one says nothing about whether the number is registered (someone
    who registers later finds it waiting); the account holding the number then is noted, unseen, and only it may
    answer, so a number passed on (a lost phone) does not carry the invitation to its next holder."""

    __tablename__ = "staff_invitations"
    __table_args__ = (Index("ix_staff_invitations_phone_status", "phone", "status"),
                      Index("ix_staff_invitations_invited_by_id_created_at", "invited_by_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # "staff": `role` in the organisation (a Membership); any other duty is a package's own (app.accounts.invitations
    # registry), `duty_id` its row: no foreign key, the accounts kernel knows no package's tables
    duty: Mapped[str] = mapped_column(String(32), default="staff")
    duty_id: Mapped[int | None] = mapped_column()
    role: Mapped[Role | None] = mapped_column(_enum(Role, "role"))
    org_admin: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str] = mapped_column(String(200), default="")  # what a duty's invitation is for (a point's name)
    phone: Mapped[str] = mapped_column(String(11))
    # NULL for the operator at the command line; the inviter's account going takes its open invitations with it
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # pending | accepted | declined | withdrawn | lapsed (the account holding the number moved off it)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # who accepted or declined it (the holder of the number then)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The account holding the number when it was sent, the only one that may answer (NULL: nobody held it, so
    # whoever registers the number may). Never shown. CASCADE, not SET NULL: NULL would open it to anyone.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # why it lapsed ("number_moved", "merged"): for the site's records only, the inviting side is never told
    lapse_reason: Mapped[str | None] = mapped_column(String(32))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
