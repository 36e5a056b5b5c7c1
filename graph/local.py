"""The embedded directory: users, access groups and KI-Pass status from a YAML file.

Format (documented in docs/identity.md, sample in samples/directory.yaml):

    tenant: 00000000-0000-0000-0000-000000000001   # optional default tenant of every user
    group_names:           # optional: what users read for an access group
      fraktion-gruene: Fraktion Bündnis 90/Die Grünen
    users:
      - id: 6f1c…            # Entra object id (Teams: from.aadObjectId)
        name: Erika Muster
        upn: erika.muster@luebeck.de
        tenant: …            # optional, overrides the default
        groups: [fraktion-gruene, ausschuss-bau]   # access groups (`kiw index files --access`)
        kipass_valid_until: 2027-06-30             # absent, null or past = no valid KI-Pass
        kipass_steps: {schulung: true, dienstvereinbarung: true, leitlinien: true, checkliste: false}

The file is checked completely when it is read: every problem is reported with its line, so a
typo (`kipas_valid_until`) stops the start instead of silently denying a user. The file is read
again when it changes on disk; a broken edit then fails closed (DirectoryUnavailable).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from graph.principal import (
    KIPASS_STEPS,
    DirectoryFileError,
    DirectoryUnavailable,
    Principal,
    UnknownUser,
)
from kiw_common.vocabulary import PUBLIC

log = logging.getLogger(__name__)

USER_KEYS = ("id", "name", "upn", "tenant", "groups", "kipass_valid_until", "kipass_steps")
TOP_KEYS = ("tenant", "group_names", "users")
# An access-group name as `kiw index files --access` takes it: no spaces, no commas.
GROUP_NAME = re.compile(r"^[^\s,]+$")


@dataclass(frozen=True)
class DirectoryStats:
    users: int
    kipass_valid: int
    kipass_expired: int
    kipass_none: int
    access_groups: tuple[str, ...]


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._found: list[tuple[int, str]] = []

    def add(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        where = f":{line}" if line else ""
        self._found.append((line, f"{self.path}{where}: {message}"))

    @property
    def items(self) -> list[str]:
        """In file order, so the admin can fix them top to bottom."""
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_object(node, deep=True)


def parse_directory(text: str, path: Path) -> tuple[Principal, ...]:
    """Parse and check a directory file; raise DirectoryFileError listing every problem."""
    problems = _Problems(path)
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark else ""
        raise DirectoryFileError(f"{path}{where}: not valid YAML ({exc.problem})") from None
    finally:
        loader.dispose()
    if root is None:
        raise DirectoryFileError(f"{path}: the file is empty (expected 'users:' with a list)")

    default_tenant: str | None = None
    group_names: dict[str, str] = {}
    users_node: yaml.Node | None
    if isinstance(root, yaml.SequenceNode):
        users_node = root
    elif isinstance(root, yaml.MappingNode):
        users_node = None
        for key_node, value_node in root.value:
            key = _scalar(loader, key_node)
            if key == "users":
                users_node = value_node
            elif key == "tenant":
                value = _scalar(loader, value_node)
                if value is not None and not isinstance(value, str):
                    problems.add(value_node, "'tenant' must be a text (the Entra tenant id)")
                else:
                    default_tenant = value or None
            elif key == "group_names":
                group_names = _parse_group_names(loader, value_node, problems)
            else:
                problems.add(key_node, f"unknown key '{key}' (known: {', '.join(TOP_KEYS)})")
        if users_node is None:
            problems.add(root, "'users:' is missing (a list of users)")
    else:
        raise DirectoryFileError(f"{path}:1: expected 'users:' with a list of users")

    principals: list[Principal] = []
    seen: dict[str, int] = {}
    if users_node is not None:
        if not isinstance(users_node, yaml.SequenceNode):
            problems.add(users_node, "'users' must be a list (each entry starting with '- ')")
        else:
            for entry in users_node.value:
                principal = _parse_user(loader, entry, default_tenant, group_names, problems)
                if principal is None:
                    continue
                for ident in filter(None, (principal.id, principal.upn)):
                    key = ident.lower()
                    if key in seen:
                        # The value is not repeated: these lines reach the log on a reload.
                        what = "upn" if ident == principal.upn else "id"
                        problems.add(
                            entry, f"this {what} is already used by the user on line {seen[key]}"
                        )
                    else:
                        seen[key] = entry.start_mark.line + 1
                principals.append(principal)
    if problems.items:
        raise DirectoryFileError("\n".join(problems.items))
    return tuple(principals)


def _parse_group_names(
    loader: yaml.SafeLoader, node: yaml.Node, problems: _Problems
) -> dict[str, str]:
    """`group_names:` maps an access group to the name users read (never the raw id)."""
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, "'group_names' must map access groups to display names")
        return {}
    names: dict[str, str] = {}
    for key_node, value_node in node.value:
        group, name = _scalar(loader, key_node), _scalar(loader, value_node)
        if not isinstance(group, str) or not GROUP_NAME.match(group):
            problems.add(key_node, f"group {group!r} must be a name without spaces or commas")
        elif not isinstance(name, str) or not name.strip():
            problems.add(value_node, f"the display name of group '{group}' must be a text")
        else:
            names[group] = name.strip()
    return names


def _parse_user(
    loader: yaml.SafeLoader,
    entry: yaml.Node,
    default_tenant: str | None,
    group_names: dict[str, str],
    problems: _Problems,
) -> Principal | None:
    if not isinstance(entry, yaml.MappingNode):
        problems.add(entry, "each user must be a mapping with 'id' and 'name'")
        return None
    before = len(problems.items)
    fields: dict[str, tuple[yaml.Node, Any]] = {}
    for key_node, value_node in entry.value:
        key = _scalar(loader, key_node)
        if key not in USER_KEYS:
            problems.add(key_node, f"unknown key '{key}' (known: {', '.join(USER_KEYS)})")
            continue
        if key in fields:
            problems.add(key_node, f"'{key}' is given twice")
            continue
        try:
            fields[key] = (value_node, _scalar(loader, value_node))
        except yaml.YAMLError as exc:
            problems.add(value_node, f"'{key}' cannot be read ({exc})")

    def text(key: str, required: bool) -> str | None:
        if key not in fields:
            if required:
                problems.add(entry, f"'{key}' is missing")
            return None
        node, value = fields[key]
        if value is None and not required:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            problems.add(node, f"'{key}' must be a non-empty text")
            return None
        return str(value).strip()

    user_id = text("id", required=True)
    name = text("name", required=True)
    upn = text("upn", required=False)
    tenant = text("tenant", required=False) or default_tenant

    groups: list[str] = []
    if "groups" in fields:
        node, value = fields["groups"]
        if value is None:
            value = []
        if not isinstance(value, list):
            problems.add(node, "'groups' must be a list of access-group names, e.g. [fraktion-cdu]")
        else:
            for item_node, item in zip(node.value, value, strict=False):
                if not isinstance(item, str) or not GROUP_NAME.match(item):
                    problems.add(
                        item_node, f"group {item!r} must be a name without spaces or commas"
                    )
                else:
                    groups.append(item)

    valid_until: date | None = None
    if "kipass_valid_until" in fields:
        node, value = fields["kipass_valid_until"]
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = "bad"
        if value is None or (isinstance(value, date) and not hasattr(value, "hour")):
            valid_until = value
        else:
            problems.add(node, "'kipass_valid_until' must be a date like 2027-06-30 (or null)")

    steps: dict[str, bool] = {}
    if "kipass_steps" in fields:
        node, value = fields["kipass_steps"]
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.add(node, "'kipass_steps' must map step names to true/false")
        else:
            key_nodes = {_scalar(loader, k): k for k, _ in node.value}
            for step, done in value.items():
                step_node = key_nodes.get(step, node)
                if step not in KIPASS_STEPS:
                    problems.add(
                        step_node,
                        f"unknown KI-Pass step '{step}' (known: {', '.join(KIPASS_STEPS)})",
                    )
                elif not isinstance(done, bool):
                    problems.add(step_node, f"step '{step}' must be true or false")
                else:
                    steps[step] = done

    if len(problems.items) > before or user_id is None or name is None:
        return None
    return Principal(
        id=user_id,
        name=name,
        upn=upn,
        tenant_id=tenant,
        groups=frozenset(groups),
        kipass_valid_until=valid_until,
        kipass_steps=steps,
        access_groups=frozenset(groups) | {PUBLIC},
        access_group_names={g: group_names[g] for g in groups if g in group_names},
    )


# What identifies one version of the file on disk: modification time (ns), size and inode, so an
# edit within the same clock tick or a file swapped in by rename (`cp -p`, an editor's atomic
# save) is noticed too. None = the file is missing or unreadable.
FileSignature = tuple[int, int, int] | None


class LocalDirectory:
    """Looks users up by object id or UPN (case-insensitive) in a parsed directory file."""

    def __init__(self, principals: tuple[Principal, ...], path: Path | None = None) -> None:
        self.path = path
        self._signature = self._stat(path)
        self._generation = 0
        # The signature of a file version that failed to parse, and why: looked up again while
        # that version stays on disk, it fails at once instead of re-parsing and re-logging.
        self._broken: tuple[FileSignature, str] | None = None
        self._set(principals)

    @classmethod
    def from_file(cls, path: Path | str) -> LocalDirectory:
        """Read and check the file; DirectoryFileError names every bad line (start-up error)."""
        path = Path(path)
        return cls(cls._read(path), path)

    @staticmethod
    def _read(path: Path) -> tuple[Principal, ...]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DirectoryFileError(
                f"{path}: directory file not found (set KIW_DIRECTORY to the users file)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DirectoryFileError(f"{path}: cannot be read ({exc})") from None
        return parse_directory(text, path)

    @staticmethod
    def _stat(path: Path | None) -> FileSignature:
        try:
            st = path.stat() if path else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino) if st else None

    def _set(self, principals: tuple[Principal, ...]) -> None:
        self.principals = principals
        index: dict[str, Principal] = {}
        for p in principals:
            index[p.id.lower()] = p
            if p.upn:
                index[p.upn.lower()] = p
        self._index = index
        self._generation += 1

    def _reload_if_changed(self) -> None:
        if self.path is None:
            return
        signature = self._stat(self.path)
        if signature == self._signature:
            return
        if self._broken is not None and self._broken[0] == signature:
            raise DirectoryUnavailable(self._broken[1])
        try:
            principals = self._read(self.path)
        except DirectoryFileError as exc:
            # A broken edit must not leave the old (maybe more generous) state in force.
            log.error("directory file changed and is now invalid: %s", exc)
            reason = f"directory file is invalid: {exc}"
            self._broken = (signature, reason)
            raise DirectoryUnavailable(reason) from None
        self._signature = signature
        self._broken = None
        self._set(principals)
        log.info("directory file re-read: %d users", len(principals))

    def source_generation(self) -> int:
        """See graph.principal.SourceVersioned: CachedDirectory asks this on every lookup."""
        self._reload_if_changed()
        return self._generation

    async def lookup(self, user_id: str) -> Principal:
        self._reload_if_changed()
        principal = self._index.get(user_id.strip().lower()) if user_id else None
        if principal is None:
            raise UnknownUser("user not in the local directory file")
        return principal

    async def ping(self) -> None:
        self._reload_if_changed()

    async def close(self) -> None:
        return None

    def stats(self, today: date) -> DirectoryStats:
        states = [p.kipass_state(today) for p in self.principals]
        groups = sorted({g for p in self.principals for g in p.access_groups})
        return DirectoryStats(
            users=len(self.principals),
            kipass_valid=states.count("valid"),
            kipass_expired=states.count("expired"),
            kipass_none=states.count("none"),
            access_groups=tuple(groups),
        )
