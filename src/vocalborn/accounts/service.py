"""Account operations. Helpers flush but never commit: the request or command commits once."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vocalborn.accounts.models import Role, TherapistClient, User
from vocalborn.accounts.security import DUMMY_HASH, hash_password, verify_password
from vocalborn.errors import AppError, Conflict, NotFound


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(db: Session, *, email: str, password: str, name: str, role: Role) -> User:
    email = normalise_email(email)
    if db.scalar(select(exists().where(User.email == email))):
        raise Conflict("An account with this e-mail already exists.", code="email_taken")
    user = User(email=email, password_hash=hash_password(password), name=name.strip(), role=role)
    db.add(user)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("An account with this e-mail already exists.", code="email_taken") from exc
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(password, DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def link_client(db: Session, therapist_id: uuid.UUID, client_id: uuid.UUID) -> TherapistClient:
    therapist = db.get(User, therapist_id)
    client = db.get(User, client_id)
    if therapist is None or client is None:
        raise NotFound("No such user.")
    if therapist.role != Role.THERAPIST:
        raise AppError("The first user is not a therapist.", code="not_a_therapist")
    if client.role != Role.CLIENT:
        raise AppError("The second user is not a client.", code="not_a_client")
    link = db.get(TherapistClient, (therapist_id, client_id))
    if link is None:
        link = TherapistClient(therapist_id=therapist_id, client_id=client_id)
        db.add(link)
        db.flush()
    return link


def is_linked(db: Session, therapist_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    return db.get(TherapistClient, (therapist_id, client_id)) is not None


def can_read_user_data(db: Session, viewer: User, owner_id: uuid.UUID) -> bool:
    """Owners read their own data, admins everything, therapists their linked clients'."""
    if viewer.user_id == owner_id or viewer.role == Role.ADMIN:
        return True
    return viewer.role == Role.THERAPIST and is_linked(db, viewer.user_id, owner_id)
