"""Helpers every subcommand shares: common options, settings from args, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.settings_problems import SettingsError, load_settings

__all__ = ["SettingsError", "add_common", "emit_json", "settings_from_args"]


def add_common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (KIW_DATA_DIR)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    return load_settings(env_file=getattr(args, "env_file", ".env"), **overrides)


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
