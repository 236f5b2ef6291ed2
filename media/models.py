"""What media stores: resumable uploads in progress (tus), media assets (one uploaded video or audio and
what it became), their renditions (HLS ladder, audio only, offline MP4, poster, thumbnail) and subtitles.

Files live in storage (app.storage) under keys we build; rows hold those keys, never client file names
as paths. An asset points at its lesson by a plain integer (`lesson_id`), as the lesson points back
(`catalog.models.Lesson.media_asset_id`): media may read the catalog, the catalog never imports media.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow


def _enum(e: type[enum.Enum], name: str) -> Enum:
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=16,
                values_callable=lambda members: [m.value for m in members])


class AssetStatus(enum.StrEnum):
    queued = "queued"          # upload validated, transcode job waiting
    processing = "processing"  # a worker is transcoding it
    ready = "ready"            # renditions in place, playable
    failed = "failed"          # error_code/error say why
    cancelled = "cancelled"


class RenditionKind(enum.StrEnum):
    hls_240 = "hls_240"
    hls_360 = "hls_360"
    hls_720 = "hls_720"
    audio = "audio"        # audio-only HLS, 48 kb/s: the data saver
    mp4_360 = "mp4_360"    # offline download
    poster = "poster"      # JPEG
    thumb = "thumb"        # small WebP


class Upload(Base):
    """A tus upload. The bytes so far are in storage at `key`; the id is the unguessable token in its URL."""

    __tablename__ = "media_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    length_bytes: Mapped[int] = mapped_column(BigInteger)       # Upload-Length, counted against the quota
    offset_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # Upload-Offset: bytes stored so far
    # The client's Upload-Metadata (filename, filetype), decoded: shown to people, never used as a path.
    filename: Mapped[str] = mapped_column(String(255), default="")
    filetype: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # pushed forward by every PATCH
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    asset_id: Mapped[int | None] = mapped_column(Integer)  # set once an asset took the file over
    # With MEDIA_STORAGE=s3://...: the S3 multipart upload that receives the bytes (None: this host's folder).
    # Bytes not yet in a part (fewer than 5 MiB) are the object `tail_key` ("" when there are none).
    multipart_id: Mapped[str | None] = mapped_column(String(1024))
    tail_key: Mapped[str] = mapped_column(String(200), default="")

    parts: Mapped[list[UploadPart]] = relationship(cascade="all, delete-orphan", order_by="UploadPart.number",
                                                   passive_deletes=True)

    @property
    def key(self) -> str:
        return f"uploads/{self.id}.part"

    @property
    def is_complete(self) -> bool:
        return self.offset_bytes >= self.length_bytes


class UploadPart(Base):
    """A part of an upload's S3 multipart upload, stored and recorded: CompleteMultipartUpload lists them all."""

    __tablename__ = "media_upload_parts"

    upload_id: Mapped[str] = mapped_column(ForeignKey("media_uploads.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)  # S3 PartNumber: 1, 2, ...
    etag: Mapped[str] = mapped_column(String(200))          # what S3 answered, required to complete
    size_bytes: Mapped[int] = mapped_column(BigInteger)


class MediaAsset(Base):
    __tablename__ = "media_assets"
    __table_args__ = (Index("ix_media_assets_org_status", "org_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(Integer, index=True)  # catalog lesson; no FK across packages
    status: Mapped[AssetStatus] = mapped_column(_enum(AssetStatus, "asset_status"), default=AssetStatus.queued)
    title: Mapped[str] = mapped_column(String(255), default="")  # the uploaded file's name, for people only
    source_key: Mapped[str] = mapped_column(String(200), default="")  # "assets/<id>/source.<ext>"
    source_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # SHA-256 of the uploaded bytes: the same bytes uploaded again share this asset's source and renditions
    # (media.dedup) instead of being stored and transcoded twice.
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Folder of the current renditions ("assets/<id>/<token>"): new on every transcode, so the URLs of
    # segments never change content and can be cached forever. Assets of the same bytes share one folder
    # (it may be under another asset's id); a folder is removed only when no asset points at it.
    output_key: Mapped[str] = mapped_column(String(200), default="")
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int] = mapped_column(default=0)   # as displayed (rotation applied); 0 for audio
    height: Mapped[int] = mapped_column(default=0)
    has_video: Mapped[bool] = mapped_column(default=False)
    has_audio: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[int | None] = mapped_column(Integer)  # the latest transcode job (app.jobs)
    error_code: Mapped[str] = mapped_column(String(40), default="")  # stable snake_case, e.g. media_too_long
    error: Mapped[str] = mapped_column(Text, default="")             # message for people (Chinese)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime)

    org: Mapped[Organisation] = relationship()
    uploader: Mapped[User | None] = relationship()
    renditions: Mapped[list[Rendition]] = relationship(back_populates="asset", cascade="all, delete-orphan",
                                                       order_by="Rendition.id")
    subtitles: Mapped[list[Subtitle]] = relationship(back_populates="asset", cascade="all, delete-orphan",
                                                     order_by="Subtitle.language")

    def rendition(self, kind: RenditionKind | str) -> Rendition | None:
        return next((r for r in self.renditions if r.kind == kind), None)

    @property
    def stored_bytes(self) -> int:
        return self.source_bytes + sum(r.size_bytes for r in self.renditions) + \
            sum(s.size_bytes for s in self.subtitles)

    def __repr__(self) -> str:
        return f"<MediaAsset {self.id} {self.status.value}>"


class Rendition(Base):
    __tablename__ = "media_renditions"
    __table_args__ = (UniqueConstraint("asset_id", "kind", name="uq_media_renditions_asset_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"))
    kind: Mapped[RenditionKind] = mapped_column(_enum(RenditionKind, "rendition_kind"))
    path: Mapped[str] = mapped_column(String(200))  # key relative to the asset's output_key ("hls_360/index.m3u8")
    bitrate: Mapped[int] = mapped_column(default=0)  # measured average bits/s, audio included; 0 for pictures
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # all segments of an HLS rendition together
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)

    asset: Mapped[MediaAsset] = relationship(back_populates="renditions")


class Subtitle(Base):
    """Subtitles of one language for an asset (and so for its lesson), stored as WebVTT whatever was uploaded."""

    __tablename__ = "media_subtitles"
    __table_args__ = (UniqueConstraint("asset_id", "language", name="uq_media_subtitles_asset_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"))
    lesson_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the asset's lesson when uploaded
    language: Mapped[str] = mapped_column(String(16))   # BCP 47: zh-CN, en
    label: Mapped[str] = mapped_column(String(50))      # shown in the player's menu: 中文, English
    path: Mapped[str] = mapped_column(String(200))      # storage key "assets/<id>/subs/<language>-<token>.vtt"
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # the stored WebVTT, counted against the quota
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    asset: Mapped[MediaAsset] = relationship(back_populates="subtitles")
