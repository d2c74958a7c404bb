"""`vocalborn user link` and `vocalborn user unlink`: an operator links a learner to a therapist.

The usual way is the learner's consent: they share a link code that the therapist types on the
page. These commands are for an operator acting on a request (a clinic moving a learner from one
therapist to another), as `POST /therapists/{id}/clients/{client_id}` is for an admin. Both
sides are named by e-mail, as people know them. Exit codes: 0 done, 1 no such user / not a
therapist or client / no such link, 2 usage.
"""

from __future__ import annotations

import typer

from vocalborn.cli.common import load_settings
from vocalborn.cli.output import make_console

err = make_console(stderr=True)


def _change(therapist: str, client: str, link: bool) -> None:
    from sqlalchemy import select

    from vocalborn.accounts import links, service
    from vocalborn.accounts.models import User
    from vocalborn.db import make_engine, make_session_factory, session_scope
    from vocalborn.errors import AppError

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            ids = []
            for email in (therapist, client):
                found = db.scalar(
                    select(User.user_id).where(User.email == service.normalise_email(email))
                )
                if found is None:
                    err.print(f"No user with e-mail {email}.", markup=False, highlight=False)
                    raise typer.Exit(1)
                ids.append(found)
            if link:
                service.link_client(db, ids[0], ids[1])
            else:
                links.unlink(db, ids[0], ids[1])
    except AppError as exc:
        err.print(exc.message, markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    print(f"{'linked' if link else 'unlinked'}: {therapist} -> {client}")


def link(
    therapist: str = typer.Option(..., "--therapist", help="the therapist's e-mail"),
    client: str = typer.Option(..., "--client", help="the learner's e-mail"),
) -> None:
    """Link a learner to a therapist (usually the learner shares a code)."""
    _change(therapist, client, link=True)


def unlink(
    therapist: str = typer.Option(..., "--therapist", help="the therapist's e-mail"),
    client: str = typer.Option(..., "--client", help="the learner's e-mail"),
) -> None:
    """End a learner's link to a therapist."""
    _change(therapist, client, link=False)


def register(user_app: typer.Typer) -> None:
    user_app.command("link")(link)
    user_app.command("unlink")(unlink)
