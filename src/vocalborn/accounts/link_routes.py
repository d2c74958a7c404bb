"""The linking API: a learner shares a code, a therapist redeems it; either side ends the link.

- learner: `POST /links/codes` (a new code, replacing an unused one), `GET /links/codes` (the
  active one, without the code itself), `DELETE /links/codes/{code_id}`;
  `GET /me/therapists`, `DELETE /me/therapists/{therapist_id}`.
- therapist: `POST /therapists/me/clients {code}`, `GET /therapists/me/clients` (each client
  with their latest attempts and weakest items), `DELETE /therapists/me/clients/{client_id}`.
Wrong codes are throttled (accounts/throttle.py `link_code_throttle`)."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vocalborn.accounts import links
from vocalborn.accounts.link_schemas import (
    ClientOut,
    CodeOut,
    CreatedCodeOut,
    LinkedUserOut,
    RedeemIn,
)
from vocalborn.accounts.models import User
from vocalborn.accounts.throttle import client_address, link_code_throttle
from vocalborn.analytics.overview import client_overview
from vocalborn.config import Settings
from vocalborn.deps import CurrentUser, RedisDep, SessionDep, SettingsDep, StaffUser

router = APIRouter(tags=["links"])


@router.post("/links/codes", response_model=CreatedCodeOut, status_code=status.HTTP_201_CREATED)
def create_code(user: CurrentUser, db: SessionDep, settings: SettingsDep) -> CreatedCodeOut:
    """A new single-use code to give a therapist (valid `LINK_CODE_TTL_MINUTES`, 24 h at most).
    It is shown only in this answer; an unused earlier code stops working."""
    created = links.create_code(db, user, settings.secret_key, settings.LINK_CODE_TTL_MINUTES)
    db.commit()
    row = created.row
    return CreatedCodeOut(
        code=created.code, code_id=row.code_id, created_at=row.created_at, expires_at=row.expires_at
    )


@router.get("/links/codes", response_model=list[CodeOut])
def my_codes(user: CurrentUser, db: SessionDep) -> list[CodeOut]:
    """The learner's code that can still be used (none or one), without the code itself."""
    return [
        CodeOut(code_id=c.code_id, created_at=c.created_at, expires_at=c.expires_at)
        for c in links.active_codes(db, user.user_id)
    ]


@router.delete("/links/codes/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_code(code_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> Response:
    links.revoke_code(db, user.user_id, code_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _redeem(db: Session, therapist: User, code: str, settings: Settings) -> ClientOut:
    client, _ = links.redeem(db, therapist, code, settings.secret_key)
    db.commit()
    days = settings.ERROR_ANALYTICS_DAYS
    [row] = client_overview(db, therapist.user_id, days, only=client.user_id)
    return ClientOut.model_validate(row)


@router.post(
    "/therapists/me/clients", response_model=ClientOut, status_code=status.HTTP_201_CREATED
)
async def redeem_code(
    body: RedeemIn,
    therapist: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    broker: RedisDep,
    request: Request,
) -> ClientOut:
    """Link the learner whose code this is. 404 for a code nobody has (counted: five from one
    address block this therapist there for 15 minutes, 429), 410 for an expired or used one,
    422 for something that cannot be a code (not counted)."""
    links.check_therapist(therapist)
    code = links.normalise(body.code)
    if code is None:
        raise links.bilingual(
            422,
            "link_code_malformed",
            "A link code is 8 letters and digits, like ABCD-EFGH.",
            "連結代碼是 8 個英文字母和數字，例如 ABCD-EFGH。",
        )
    throttle = link_code_throttle(broker)
    who, address = str(therapist.user_id), client_address(request)
    verdict = await run_in_threadpool(throttle.acquire, who, address)
    if verdict.wait:
        raise links.bilingual(
            429,
            "too_many_attempts",
            f"Too many wrong codes; try again in {verdict.wait} s.",
            f"錯誤的代碼太多次，請 {verdict.wait} 秒後再試。",
            **{"Retry-After": str(verdict.wait)},
        )
    if verdict.delay:  # this therapist is typing wrong codes from many places: slow down
        await asyncio.sleep(verdict.delay)
    try:
        out = await run_in_threadpool(_redeem, db, therapist, code, settings)
    except links.CodeRefused as refused:  # a real code: not a guess
        await run_in_threadpool(throttle.give_back, who, address)
        raise refused.error from None
    await run_in_threadpool(throttle.record_success, who, address)
    return out


@router.get("/therapists/me/clients", response_model=list[ClientOut])
def my_clients(user: StaffUser, db: SessionDep, settings: SettingsDep) -> list[ClientOut]:
    """The therapist's clients by name, each with their latest analysed attempts and their most
    frequent weak tones/words/phones (computed now; a fixed number of queries)."""
    rows = client_overview(db, user.user_id, settings.ERROR_ANALYTICS_DAYS)
    return [ClientOut.model_validate(r) for r in rows]


@router.delete("/therapists/me/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def unlink_client(client_id: uuid.UUID, user: StaffUser, db: SessionDep) -> Response:
    """Stop seeing this client's recordings and results (404 when not linked)."""
    links.unlink(db, user.user_id, client_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/therapists", response_model=list[LinkedUserOut])
def my_therapists(user: CurrentUser, db: SessionDep) -> list[LinkedUserOut]:
    """The therapists who can see the caller's recordings and results."""
    return [
        LinkedUserOut(
            user_id=t.user_id,
            email=t.email,
            name=t.name,
            role=t.role,
            created_at=t.created_at,
            linked_at=at,
        )
        for t, at in links.therapists_of(db, user.user_id)
    ]


@router.delete("/me/therapists/{therapist_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_therapist(therapist_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> Response:
    """The learner ends a link: that therapist no longer sees their data (404 when none)."""
    links.unlink(db, therapist_id, user.user_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
