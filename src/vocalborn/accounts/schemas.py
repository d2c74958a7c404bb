"""Request and response bodies of the accounts API; `normalize_email` is their e-mail rule, also
used by `vocalborn user create` so that nobody gets an account whose login the API refuses."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, TypeAdapter, ValidationError

from vocalborn.accounts.models import Role

_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


def normalize_email(value: str) -> str:
    """The address as register, login and user creation accept it (normalised), or ValueError
    with the reason (e.g. special-use domains such as .test or .local are refused)."""
    try:
        return _EMAIL.validate_python(value)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from None


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)


class CreateUserIn(RegisterIn):
    role: Role = Role.CLIENT


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime


class LinkOut(BaseModel):
    therapist_id: uuid.UUID
    client_id: uuid.UUID
