"""`kiw`: the one console script. Each subcommand lives in its own module under bot/cli/.

Only this entry point reads the environment. Every subcommand honours `--data-dir`
(default: KIW_DATA_DIR or ./.kiw-data) and prints JSON with `--json` where it prints results.
Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 KI-Pass gate refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.cli import common
from graph.principal import DirectoryFileError

# The explicit, ordered list of subcommand modules; each has register(subparsers).
COMMAND_MODULES = (
    "bot.cli.serve",
    "bot.cli.manifest",
    "bot.cli.prioritise",
    "bot.cli.index",
    "bot.cli.kipass",
    "bot.cli.search",
    "bot.cli.ask",
    "bot.cli.chat",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="kiw", description="KI-Werkstatt Assistent")
    parser.add_argument("--env-file", default=".env", help="read settings from this file too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args.func(args)
    except common.SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except DirectoryFileError as exc:  # malformed KIW_DIRECTORY file: names file and line
        print(f"Directory file problems:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
