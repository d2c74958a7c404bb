"""Users, their roles, therapist–client links and the codes a learner shares to be linked."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from vocalborn.db import Base, UTCDateTime, str_enum, utcnow


class Role(StrEnum):
    CLIENT = "client"
    THERAPIST = "therapist"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        str_enum(Role, "role"),
        default=Role.CLIENT,
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TherapistClient(Base):
    __tablename__ = "therapist_clients"

    therapist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


ACTIVE_CODE_WHERE = "used_at IS NULL"


class LinkCode(Base):
    """A code a learner shares with a therapist to be linked (accounts/links.py). Only its
    HMAC is stored; at most one unused code per learner (a new one replaces it)."""

    __tablename__ = "link_codes"
    __table_args__ = (
        Index(
            "uq_link_codes_unused_client",
            "client_id",
            unique=True,
            postgresql_where=text(ACTIVE_CODE_WHERE),
            sqlite_where=text(ACTIVE_CODE_WHERE),
        ),
    )

    code_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
