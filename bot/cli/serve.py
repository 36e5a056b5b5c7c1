"""`kiw serve`: start the bot on aiohttp."""

from __future__ import annotations

import argparse

from bot.cli.common import add_common, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the bot (POST /api/messages)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    add_common(p, json_flag=False)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import create_app

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings_from_args(args, **overrides)
    web.run_app(create_app(settings), host=settings.host, port=settings.port)
    return 0
