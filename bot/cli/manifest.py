"""`kiw manifest build|validate`: the Teams app package admins upload in the Teams admin center.

    kiw manifest build [--out appPackage.zip] [--env FILE] [--bump patch|minor|major]
    kiw manifest validate PATH            (a zip or a folder)

Both list every problem in plain words and exit 1 when there is any. Only the manifest values
are read from the settings here, so an admin can build the package on a workstation without
the bot's secrets (the server's cross-field checks do not apply).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.cli.common import SettingsError, add_common, emit_json
from bot.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("manifest", help="build or check the Teams app package")
    actions = p.add_subparsers(dest="manifest_command", required=True, metavar="ACTION")

    build = actions.add_parser("build", help="render the template and write the app package zip")
    build.add_argument("--out", type=Path, default=Path("appPackage.zip"), help="zip to write")
    build.add_argument("--env", type=Path, default=None, help="read manifest values from FILE too")
    build.add_argument("--bump", choices=("patch", "minor", "major"), default=None)
    build.add_argument("--version", dest="app_version", default="", help="set MAJOR.MINOR.PATCH")
    build.add_argument("--template-dir", type=Path, default=None, help=argparse.SUPPRESS)
    _add_schema_dir(build)
    add_common(build)
    build.set_defaults(func=_build)

    check = actions.add_parser("validate", help="check an app package (zip or folder)")
    check.add_argument("path", type=Path)
    check.add_argument("--env", type=Path, default=None, help="read expected hosts from FILE too")
    _add_schema_dir(check)
    add_common(check)
    check.set_defaults(func=_validate)


def _add_schema_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema-dir",
        type=Path,
        default=None,
        help="folder with vX.YY/MicrosoftTeams.schema.json (default: the bundled schema)",
    )


def manifest_settings(args: argparse.Namespace) -> Settings:
    """Settings without the server's cross-field checks: only manifest values matter here."""
    env_files: list[Path | str] = [getattr(args, "env_file", ".env")]
    if args.env is not None:
        if not args.env.is_file():
            raise SettingsError([f"--env {args.env}: file not found"])
        env_files.append(args.env)  # later files win
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    try:
        return Settings(_env_file=tuple(env_files), **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(
            [f"{e['loc'][0] if e.get('loc') else '?'}: {e['msg']}" for e in exc.errors()]
        ) from None


def package_allris_host(settings: Settings) -> str:
    """KIW_ALLRIS_HOST, as the bot reads it — but never the local-mode default (the samples'
    host): a package is for a deployment, so without a bot id the build names the host as
    missing too, with everything else that is."""
    return "" if settings.local_mode else settings.allris_host


def _report(problems: list[str], as_json: bool, **extra: Any) -> int:
    if as_json:
        emit_json({"ok": not problems, "problems": problems, **extra})
    elif problems:
        print(f"{len(problems)} problem(s) found:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
    return 1 if problems else 0


def _build(args: argparse.Namespace) -> int:
    from manifest.build import TEMPLATE_DIR, LastBuildStore, ManifestValues, build_package

    settings = manifest_settings(args)
    values = ManifestValues(
        teams_app_id=settings.teams_app_id,
        bot_id=settings.microsoft_app_id,
        bot_domain=settings.bot_domain,
        allris_host=package_allris_host(settings),
        version=args.app_version,
    )
    result = build_package(
        values,
        args.out,
        LastBuildStore(settings.data_dir),
        bump=args.bump,
        template_dir=args.template_dir or TEMPLATE_DIR,
        schema_dir=args.schema_dir,
    )
    code = _report(
        result.problems,
        args.json,
        version=result.version,
        path=str(result.path) if result.path else None,
    )
    if result.ok and not args.json:
        print(f"Wrote {result.path} (version {result.version}, files: {', '.join(result.files)})")
    return code


def _validate(args: argparse.Namespace) -> int:
    from manifest.build import LastBuildStore
    from manifest.validate import Expectations, PackageError, read_package, validate_package

    settings = manifest_settings(args)
    try:
        files = read_package(args.path)
    except PackageError as exc:
        return _report([str(exc)], args.json)
    expect = Expectations(
        bot_domain=settings.bot_domain,
        allris_host=package_allris_host(settings),
        last_build=LastBuildStore(settings.data_dir).load(),
    )
    problems = validate_package(files, expect, args.schema_dir)
    code = _report(problems, args.json, path=str(args.path))
    if not problems and not args.json:
        print(f"{args.path}: no problems found")
    return code
