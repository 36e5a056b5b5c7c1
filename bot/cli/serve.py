"""`kiw serve [--host] [--port] [--data-dir]`: start the bot on aiohttp (POST /api/messages).

Settings come from the environment / `.env`; the options override KIW_HOST, KIW_PORT and
KIW_DATA_DIR. Local mode (no MicrosoftAppId) binds to loopback only unless
KIW_INSECURE_LOCAL_MODE_ON_NETWORK=true: the settings check refuses anything else (exit 2).
"""

from __future__ import annotations

import argparse
import logging

from bot.cli.common import add_common, settings_from_args

log = logging.getLogger("kiw.serve")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the bot (POST /api/messages, /healthz, /readyz)")
    p.add_argument("--host", default=None, help="bind address (KIW_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (KIW_PORT, default 3978)")
    add_common(p, json_flag=False)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import create_app

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings_from_args(args, **overrides)
    level = logging.getLevelName(settings.log_level.upper())
    logging.getLogger().setLevel(level if isinstance(level, int) else logging.INFO)
    if settings.local_mode:
        log.warning(
            "LOCAL MODE: MicrosoftAppId is not set, so requests are NOT authenticated. "
            "For development only (Agents Playground: `make playground`)."
        )
    log.info(
        "serving on http://%s:%d/api/messages (data dir %s)",
        settings.host,
        settings.port,
        settings.data_dir,
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=logging.getLogger("kiw.access"),
        access_log_format='%a "%r" %s %b %Tfs',
    )
    return 0
