"""Account routes. Register and login are async: they wait for their turn at the password
hashing gate (accounts/hashing.py) on the event loop, holding no thread while they wait, and
run the database work and the hash in the thread pool once admitted."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vocalborn.accounts import service
from vocalborn.accounts.hashing import HashingBusy
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
from vocalborn.accounts.throttle import LoginThrottle, RegistrationLimit, client_address
from vocalborn.deps import (
    AdminUser,
    CurrentUser,
    HashGateDep,
    RedisDep,
    SessionDep,
    SettingsDep,
)
from vocalborn.errors import AppError, Unauthorized

router = APIRouter(tags=["accounts"])


def _create(db: Session, body: RegisterIn | CreateUserIn, role: Role) -> UserOut:
    user = service.create_user(
        db, email=body.email, password=body.password, name=body.name, role=role
    )
    db.commit()
    return UserOut.model_validate(user)


@router.post("/auth/register", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def register(
    body: RegisterIn,
    db: SessionDep,
    settings: SettingsDep,
    broker: RedisDep,
    gate: HashGateDep,
    request: Request,
) -> UserOut:
    limit = RegistrationLimit(broker, settings.REGISTRATIONS_PER_ADDRESS_PER_HOUR)
    wait = await run_in_threadpool(limit.acquire, client_address(request))
    if wait:
        raise AppError(
            f"Too many registrations from this address (at most "
            f"{settings.REGISTRATIONS_PER_ADDRESS_PER_HOUR} an hour); try again in {wait} s.",
            code="too_many_registrations",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    async with gate.admitted():
        return await run_in_threadpool(_create, db, body, Role.CLIENT)


@router.post("/auth/login", response_model=TokenOut)
async def login(
    body: LoginIn,
    db: SessionDep,
    settings: SettingsDep,
    broker: RedisDep,
    gate: HashGateDep,
    request: Request,
) -> TokenOut:
    throttle = LoginThrottle(broker)
    email = service.normalise_email(body.email)
    address = client_address(request)
    # counted before the password is checked
    verdict = await run_in_threadpool(throttle.acquire, email, address)
    if verdict.wait:
        raise AppError(
            f"Too many failed logins; try again in {verdict.wait} s.",
            code="too_many_attempts",
            status_code=429,
            headers={"Retry-After": str(verdict.wait)},
        )
    if verdict.delay:  # this account is being guessed at from many addresses: slow down
        await asyncio.sleep(verdict.delay)
    try:
        async with gate.admitted():
            user = await run_in_threadpool(service.authenticate, db, email, body.password)
    except HashingBusy:
        # no password was checked: the attempt does not count against the caller
        await run_in_threadpool(throttle.give_back, email, address)
        raise
    if user is None:
        raise Unauthorized("Wrong e-mail or password.", code="invalid_credentials")
    await run_in_threadpool(throttle.record_success, email, address)
    minutes = settings.ACCESS_TOKEN_EXPIRE_MINUTES
    token = create_access_token(user.user_id, user.role, settings.secret_key, minutes)
    return TokenOut(access_token=token, expires_in=minutes * 60)


@router.get("/auth/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/admin/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: CreateUserIn, db: SessionDep, gate: HashGateDep, _: AdminUser) -> UserOut:
    with gate.hold():
        return _create(db, body, body.role)


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
