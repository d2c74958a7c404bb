from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from vocalborn.accounts import service
from vocalborn.accounts.models import Role
from vocalborn.accounts.schemas import (
    CreateUserIn,
    LinkOut,
    LoginIn,
    RegisterIn,
    TokenOut,
    UserOut,
)
from vocalborn.accounts.security import create_access_token
from vocalborn.accounts.throttle import LoginThrottle
from vocalborn.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, StaffUser
from vocalborn.errors import AppError, Unauthorized

router = APIRouter(tags=["accounts"])


@router.post("/auth/register", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, db: SessionDep) -> UserOut:
    user = service.create_user(
        db, email=body.email, password=body.password, name=body.name, role=Role.CLIENT
    )
    db.commit()
    return UserOut.model_validate(user)


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, db: SessionDep, settings: SettingsDep, request: Request) -> TokenOut:
    throttle = LoginThrottle(request.app.state.redis)
    email = service.normalise_email(body.email)
    address = request.client.host if request.client else "unknown"
    wait = throttle.acquire(email, address)  # counted before the password is checked
    if wait:
        raise AppError(
            f"Too many failed logins; try again in {wait} s.",
            code="too_many_attempts",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    user = service.authenticate(db, email, body.password)
    if user is None:
        raise Unauthorized("Wrong e-mail or password.", code="invalid_credentials")
    throttle.record_success(email, address)
    minutes = settings.ACCESS_TOKEN_EXPIRE_MINUTES
    token = create_access_token(user.user_id, user.role, settings.secret_key, minutes)
    return TokenOut(access_token=token, expires_in=minutes * 60)


@router.get("/auth/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/admin/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: CreateUserIn, db: SessionDep, _: AdminUser) -> UserOut:
    user = service.create_user(
        db, email=body.email, password=body.password, name=body.name, role=body.role
    )
    db.commit()
    return UserOut.model_validate(user)


@router.post(
    "/therapists/{therapist_id}/clients/{client_id}",
    response_model=LinkOut,
    status_code=status.HTTP_201_CREATED,
)
def link_client(
    therapist_id: uuid.UUID, client_id: uuid.UUID, db: SessionDep, _: AdminUser
) -> LinkOut:
    link = service.link_client(db, therapist_id, client_id)
    db.commit()
    return LinkOut(therapist_id=link.therapist_id, client_id=link.client_id)


@router.get("/therapists/me/clients", response_model=list[UserOut])
def my_clients(user: StaffUser, db: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in service.list_clients(db, user.user_id)]
