"""`vocalborn`: one command for everything a developer or operator does."""

from __future__ import annotations

import sys

import typer

from vocalborn.cli.common import load_settings
from vocalborn.cli.ops import register as register_ops
from vocalborn.cli.output import help_markup, make_console
from vocalborn.cli.schedule import beat, schedule_app
from vocalborn.cli.schedule import seed as seed_schedule
from vocalborn.cli.users import register as register_user_links
from vocalborn.config import ConfigError, Settings

app = typer.Typer(
    help="VocalBorn Tasks: asynchronous speech analysis.",
    epilog="Tables in a terminal, plain aligned text when piped, --json for programs. Every "
    "time carries its UTC offset (TIMEZONE, default Asia/Taipei: +08:00).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=help_markup(),
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=help_markup())
user_app = typer.Typer(help="User accounts.", no_args_is_help=True, rich_markup_mode=help_markup())
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
register_user_links(user_app)  # user link / unlink
app.add_typer(schedule_app, name="schedule")
app.command("beat")(beat)
register_ops(app)  # flower, status, health, test, monitor, task, cancel, retry, purge, cleanup
console = make_console(stderr=True)


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8000, help="port to serve on"),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
    migrate: bool = typer.Option(False, help="apply migrations first"),
) -> None:
    """Serve the HTTP API (uvicorn)."""
    import uvicorn

    from vocalborn.logs import configure_logging
    from vocalborn.monitoring.metrics import share_api_metrics
    from vocalborn.request_deadlines import uvicorn_http_protocol

    settings = load_settings()
    if migrate:
        _upgrade(settings)
    configure_logging(settings)  # uvicorn's loggers go through it (LOG_FORMAT=json|text)
    if settings.PROMETHEUS_ENABLED:
        share_api_metrics(settings.DATA_DIR, port, workers)
    uvicorn.run(
        "vocalborn.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.LOG_LEVEL.lower(),
        log_config=None,
        proxy_headers=True,
        # slow clients: a deadline on request headers (our httptools protocol), idle
        # keep-alive connections closed after 5 s; slow bodies: BodyDeadline (create_app)
        http=uvicorn_http_protocol(),
        timeout_keep_alive=5,
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(
    ctx: typer.Context,
    queues: str = typer.Option(
        "ai_analysis,maintenance,health", "-Q", "--queues", help="comma-separated queues to consume"
    ),
    concurrency: int | None = typer.Option(
        None, "-c", "--concurrency", help="pool processes (default: CELERY_WORKER_CONCURRENCY)"
    ),
    name: str = typer.Option("worker@%h", "-n", "--hostname", help="worker name (%h: host)"),
    pool: str = typer.Option("prefork", "-P", "--pool", help="prefork, solo or threads"),
) -> None:
    """Start a Celery worker. Extra options are passed to `celery worker`."""
    settings = load_settings()
    from vocalborn.worker.celery_app import get_celery

    celery = get_celery()
    argv = [
        "worker",
        "-Q", queues,
        "-c", str(concurrency or settings.CELERY_WORKER_CONCURRENCY),
        "-n", name,
        "-P", pool,
        "--loglevel", settings.CELERY_LOG_LEVEL,
        *ctx.args,
    ]  # fmt: skip
    celery.worker_main(argv)


def _upgrade(settings: Settings) -> None:
    from vocalborn.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:  # an operator needs the reason, not a traceback
        console.print(f"[red]Migration failed:[/red] {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (creates the database schema)."""
    settings = load_settings()
    _upgrade(settings)
    seed_schedule(settings)
    console.print("[green]Database is up to date.[/green]")


@db_app.command("current")
def db_current() -> None:
    """Show the applied migration revision."""
    from vocalborn.migrate import current

    print(current(load_settings().database_url) or "(empty database)")


@user_app.command("create")
def user_create(
    email: str = typer.Option(..., prompt=True, help="login e-mail"),
    name: str = typer.Option(..., prompt=True, help="display name"),
    role: str = typer.Option("client", help="client, therapist or admin"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="at least 8 characters (asked for when not given)",
    ),
) -> None:
    """Create an account. Admins and therapists are made here or by an admin."""
    from vocalborn.accounts.models import Role
    from vocalborn.accounts.schemas import normalize_email
    from vocalborn.accounts.service import create_user
    from vocalborn.db import make_engine, make_session_factory, session_scope
    from vocalborn.errors import AppError

    try:
        role_value = Role(role)
    except ValueError as exc:
        console.print("[red]role must be client, therapist or admin[/red]")
        raise typer.Exit(2) from exc
    try:
        email = normalize_email(email)  # the API's rule: login must accept what is created here
    except ValueError as exc:
        console.print(
            f"[red]invalid e-mail {email!r}:[/red] {exc}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from exc
    if len(password) < 8:
        console.print("[red]password must be at least 8 characters[/red]")
        raise typer.Exit(2)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            user = create_user(db, email=email, password=password, name=name, role=role_value)
            user_id = user.user_id
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    print(user_id)


@app.command("ai-service")
def ai_service(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8001, help="port to serve on"),
) -> None:
    """Serve the built-in offline analyser over HTTP. The remote AI service contract."""
    from vocalborn.analyzer.http_service import run_ai_service

    settings = load_settings()
    if settings.ENVIRONMENT == "production" and not settings.AI_SERVICE_API_KEY:
        # An open analysis endpoint would let anyone burn the service's CPU.
        console.print("[red]Configuration error:[/red] set AI_SERVICE_API_KEY in production.")
        raise typer.Exit(2)
    run_ai_service(host, port, settings)


def _register_commands() -> None:
    from vocalborn.cli.devstack import register as register_devstack

    register_devstack(app)


_register_commands()


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        sys.exit(2)
