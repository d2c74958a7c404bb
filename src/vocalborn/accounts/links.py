"""Therapist–client links made with the learner's consent: the learner creates a short-lived,
single-use code and shares it; a therapist who types it is linked to them. Either side can end
the link. Admins still link anybody directly (`service.link_client`).

Why a code: the learner decides who sees their recordings, and nobody needs an admin. The code
is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 40 bits: with wrong
codes throttled (accounts/throttle.py `link_code_throttle`) guessing one is hopeless. Only its
HMAC (keyed with the app's secret) is stored, so a copy of the database links nobody. A learner
has at most one unused code; making a new one replaces it.

Helpers flush but never commit: the request commits once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vocalborn.accounts.models import LinkCode, Role, TherapistClient, User
from vocalborn.accounts.service import link_client
from vocalborn.db import utcnow
from vocalborn.errors import AppError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# Used codes are kept this long so that typing one again says "already used", not "wrong".
KEEP_USED = timedelta(days=7)


def bilingual(status: int, code: str, en: str, zh: str, **headers: str) -> AppError:
    """An API error whose body carries both languages: `message` (English, as every error) and
    `messages: {"zh-TW", "en"}` for a client that shows the learner's language."""
    return AppError(
        en,
        code=code,
        status_code=status,
        extra={"messages": {"zh-TW": zh, "en": en}},
        headers=headers or None,
    )


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """How the code is shown to people: two groups of four (ABCD-EFGH)."""
    return f"{code[:4]}-{code[4:]}"


def normalise(typed: str) -> str | None:
    """The code as stored from what somebody typed (any case, spaces or dashes), or None when
    it cannot be a code at all (wrong length or characters): no guess is spent on a typo."""
    code = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def digest(code: str, secret: str) -> str:
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Created:
    code: str  # shown once, never stored
    row: LinkCode


def create_code(db: Session, client: User, secret: str, ttl_minutes: int) -> Created:
    if client.role != Role.CLIENT:
        raise bilingual(
            403,
            "not_a_learner",
            "Only learners share link codes.",
            "只有學習者可以產生連結代碼。",
        )
    now = utcnow()
    # The previous unused code is replaced; used ones are forgotten after KEEP_USED.
    db.execute(
        delete(LinkCode).where(
            LinkCode.client_id == client.user_id,
            or_(LinkCode.used_at.is_(None), LinkCode.used_at < now - KEEP_USED),
        )
    )
    code = new_code()
    row = LinkCode(
        client_id=client.user_id,
        code_hash=digest(code, secret),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
    )
    db.add(row)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # the same learner, twice at once: one of them wins
        raise bilingual(
            409,
            "link_code_busy",
            "A link code is being created already; try again.",
            "正在產生連結代碼，請再試一次。",
        ) from exc
    return Created(shown(code), row)


def active_codes(db: Session, client_id: uuid.UUID) -> list[LinkCode]:
    """The learner's unused code that has not expired (none or one)."""
    stmt = select(LinkCode).where(
        LinkCode.client_id == client_id,
        LinkCode.used_at.is_(None),
        LinkCode.expires_at > utcnow(),
    )
    return list(db.scalars(stmt))


def revoke_code(db: Session, client_id: uuid.UUID, code_id: uuid.UUID) -> None:
    gone = db.execute(
        delete(LinkCode).where(
            LinkCode.code_id == code_id,
            LinkCode.client_id == client_id,
            LinkCode.used_at.is_(None),
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise bilingual(404, "not_found", "No such link code.", "沒有這個連結代碼。")


class CodeRefused(Exception):
    """The code exists but cannot be used (expired or used): not a guess."""

    def __init__(self, error: AppError) -> None:
        super().__init__(error.message)
        self.error = error


WRONG_CODE = (
    "No learner has this code; check it with the learner.",
    "沒有學習者使用這個代碼，請和學習者確認。",
)


def check_therapist(user: User) -> None:
    if user.role != Role.THERAPIST:
        raise bilingual(
            403,
            "not_a_therapist",
            "Only therapists link learners with a code.",
            "只有治療師可以用代碼連結學習者。",
        )


def redeem(db: Session, therapist: User, code: str, secret: str) -> tuple[User, datetime]:
    """Link `therapist` to the learner whose unused, unexpired code this is (single use: a
    conditional UPDATE, so two therapists typing it at once cannot both win). Raises a 404
    AppError for a code nobody has, CodeRefused for an expired or used one."""
    check_therapist(therapist)
    row = db.scalar(select(LinkCode).where(LinkCode.code_hash == digest(code, secret)))
    if row is None:
        raise bilingual(404, "link_code_not_found", *WRONG_CODE)
    now = utcnow()
    taken = db.execute(
        update(LinkCode)
        .where(
            LinkCode.code_id == row.code_id,
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(used_at=now, used_by=therapist.user_id)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        db.refresh(row)
        if row.used_at is not None:
            raise CodeRefused(
                bilingual(
                    410,
                    "link_code_used",
                    "This code has been used already; ask the learner for a new one.",
                    "這個代碼已經用過了，請學習者產生新的代碼。",
                )
            )
        raise CodeRefused(
            bilingual(
                410,
                "link_code_expired",
                "This code has expired; ask the learner for a new one.",
                "這個代碼已過期，請學習者產生新的代碼。",
            )
        )
    link = link_client(db, therapist.user_id, row.client_id)
    client = db.get(User, row.client_id)
    assert client is not None  # the code's row cascades with its learner
    return client, link.created_at


def unlink(db: Session, therapist_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """End a link (either side may). 404 when there is none."""
    gone = db.execute(
        delete(TherapistClient).where(
            TherapistClient.therapist_id == therapist_id,
            TherapistClient.client_id == client_id,
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise bilingual(404, "not_linked", "No such link.", "沒有這個連結。")


def therapists_of(db: Session, client_id: uuid.UUID) -> list[tuple[User, datetime]]:
    stmt = (
        select(User, TherapistClient.created_at)
        .join(TherapistClient, TherapistClient.therapist_id == User.user_id)
        .where(TherapistClient.client_id == client_id)
        .order_by(User.name)
    )
    return [(u, at) for u, at in db.execute(stmt)]
