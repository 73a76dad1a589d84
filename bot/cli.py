"""The `escalation-bot` command line."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from bot.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalation-bot",
        description="A Slack support bot that escalates to a human only for a valid reason.",
        epilog="Settings come from the environment or a .env file (README, "
        '"Running it in Slack"). `escalation-bot COMMAND --help` describes each command.',
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    console = commands.add_parser(
        "console",
        help="chat with the bot in this terminal",
        description="Chat with the bot in this terminal: you type as the customer, and commands "
        "starting with / act as the agent or the admin (/help lists them). Runs the real Slack "
        "app and handlers on a fresh temporary SQLite database; no Slack or Anthropic account "
        "needed (the offline agent answers unless ANTHROPIC_API_KEY is set). Without a "
        "terminal it plays the built-in conversations.",
    )
    console.add_argument(
        "--demo",
        action="store_true",
        help="play the built-in conversations instead of reading what you type",
    )
    console.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help="keep the database in this SQLite file (default: a fresh temporary one per run)",
    )
    serve = commands.add_parser(
        "serve",
        help="run the Slack app (Socket Mode or HTTP)",
        description="Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on "
        "--host/--port (Slack posts to POST /slack/events; needs SLACK_SIGNING_SECRET). Needs "
        "SLACK_BOT_TOKEN and a shop (SHOP_API_URL, or SHOP=demo). Upgrades the database at "
        "DATABASE_URL first. Exit status 2 for a bad or missing setting, 1 when Slack cannot "
        "be reached.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="HTTP mode: address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=3000, help="HTTP mode: port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_count,
        default=None,
        metavar="N",
        help="worker processes this front starts for the turns and posts (default: one per "
        "core, at most 4; one on SQLite); 0: none, `escalation-bot worker` runs elsewhere",
    )
    worker = commands.add_parser(
        "worker",
        help="run turns and posts only (beside one or more `serve` fronts)",
        description="Take the customers' turns and post to Slack, reading the events that "
        "`serve` fronts store in the database at DATABASE_URL (same settings as serve). Run "
        "any number, on any host that reaches the database.",
    )
    worker.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    # serve's own workers: one of N, each pacing Slack calls at 1/N of the budgets
    worker.add_argument("--one-of", type=_count, default=1, help=argparse.SUPPRESS)
    worker.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="lower this process's CPU priority by N (default: %(default)s; serve starts its "
        "workers at 10)",
    )
    evaluate = commands.add_parser(
        "eval",
        help="run scenario files and report calibration",
        description="Run scenario files (YAML, see scenarios/) through the real engine and "
        "report each turn, then accuracy, resolution rates, escalation precision and recall "
        "per trigger, and rule violations. Exit status 0 when every turn passed, 1 on a failed "
        "turn or a violation, 2 on a malformed file.",
    )
    evaluate.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="scenario files to run, in order"
    )
    evaluate.add_argument(
        "--agent",
        choices=("offline", "claude"),
        default="offline",
        help="who answers the customer (default: %(default)s; claude needs ANTHROPIC_API_KEY)",
    )
    evaluate.add_argument(
        "--json",
        action="store_true",
        help="print the JSON document only (default: the readable report)",
    )
    evaluate.add_argument(
        "--only", metavar="ID", help="run only the scenario with this id (default: all)"
    )
    database = commands.add_parser(
        "db",
        help="database schema",
        description="Manage the database schema at DATABASE_URL "
        "(default: sqlite:///escalation-bot.db in the working directory).",
    )
    database_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    database_commands.add_parser(
        "upgrade",
        help="migrate the schema at DATABASE_URL to the newest",
        description="Create the schema at DATABASE_URL, or upgrade it to the newest revision, "
        "and say which it did (several processes upgrading at once take turns). DATABASE_URL "
        "defaults to sqlite:///escalation-bot.db in the working directory.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    # Piping a report into `head` ends quietly, as other command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"escalation-bot: {_first_problem(error)}", file=sys.stderr)
        return 2
    if args.command == "console":
        from bot.console.console import run_console  # noqa: PLC0415

        return run_console(demo=args.demo, database=args.db, settings=settings)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "worker":
        return _worker(settings, args.parent, args.nice, args.one_of)
    if args.command == "db":
        return _upgrade_database(settings)
    if args.command == "eval":
        from bot.evaluation.evaluate import run_eval  # noqa: PLC0415 - heavy imports only when needed

        return run_eval(
            args.files, agent=args.agent, as_json=args.json, only=args.only, settings=settings
        )
    return 2  # pragma: no cover - argparse rejects unknown commands


def _first_problem(error: ValidationError) -> str:
    """One line for a bad setting: its name and what is wrong with it."""
    problem = error.errors()[0]
    name = ".".join(str(part) for part in problem.get("loc", ()))
    message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
    return f"bad setting {name}: {message}" if name else f"bad settings: {message}"


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a count (0 or more)")
    return value


def _serve(settings: Settings, host: str, port: int, workers: int | None) -> int:
    from bot.composition import serve  # noqa: PLC0415

    return _run_service("serve", lambda: serve(settings, host=host, port=port, workers=workers))


def _worker(settings: Settings, parent: int | None, nice: int, one_of: int) -> int:
    from bot.composition import run_worker  # noqa: PLC0415

    return _run_service(
        "worker", lambda: run_worker(settings, parent=parent, nice=nice, one_of=one_of)
    )


def _run_service(name: str, run: Callable[[], None]) -> int:
    import logging  # noqa: PLC0415

    from bot.composition import (  # noqa: PLC0415
        CannotListen,
        DatabaseTooNew,
        MissingSetting,
        SlackUnreachable,
        StopServing,
    )

    # Fronts and workers write to one log (a terminal, a container's): each line says which.
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {name}[%(process)d] %(levelname)s %(name)s %(message)s",
    )
    # Alembic says a dozen lines per start ("Context impl ...", each migration); the product
    # logs what the upgrade did in one.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        run()
    except (MissingSetting, DatabaseTooNew) as error:
        print(f"escalation-bot {name}: {error}", file=sys.stderr)
        return 2
    except (SlackUnreachable, CannotListen) as error:
        print(f"escalation-bot {name}: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, StopServing):
        return 0
    return 0


def _upgrade_database(settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415 - keep start-up light

    from bot.composition import DatabaseTooNew, upgrade_schema  # noqa: PLC0415
    from db.engine import make_engine  # noqa: PLC0415

    try:
        engine = make_engine(settings.database_url)
    except Exception as error:  # an unusable URL: say so, not a traceback
        print(f"escalation-bot: bad DATABASE_URL: {error}", file=sys.stderr)
        return 2
    try:
        revisions = upgrade_schema(engine)
    except DatabaseTooNew as error:  # no retry helps: this program is older than the schema
        print(f"escalation-bot: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"escalation-bot: database upgrade failed: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # the SQLite file's folder is missing or not writable
        print(f"escalation-bot: database upgrade failed: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(revisions.describe(engine.url.render_as_string(hide_password=True)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
