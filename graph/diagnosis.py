"""`kiw kipass check` against Microsoft Graph: each step tried in turn, with what to do when it
fails (a token, a /users call, a transitiveMemberOf call, the configured groups exist).

Beside the directory, not a method of it: this module imports graph/msgraph.py, never the
reverse (no import cycle); the CLI calls `diagnose(directory)`."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

with warnings.catch_warnings():  # see graph/msgraph.py: kiota's modules warn on first import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from graph.msgraph import GraphDirectory
from graph.principal import DirectoryUnavailable, UnknownUser


@dataclass(frozen=True)
class CheckStep:
    """One line of `kiw kipass check`: what was tried, whether it worked, what to do."""

    name: str
    ok: bool
    detail: str


async def diagnose(directory: GraphDirectory, probe_user: str | None = None) -> list[CheckStep]:
    """What `kiw kipass check` prints: token, a /users call, a transitiveMemberOf call, and
    whether the configured KI-Pass and access groups exist."""
    steps: list[CheckStep] = []

    async def step(name: str, action: Callable[[], Awaitable[str]]) -> bool:
        try:
            async with asyncio.timeout(directory.timeout_seconds * 2):
                detail = await action()
            steps.append(CheckStep(name, True, detail))
            return True
        except TimeoutError:
            steps.append(CheckStep(name, False, "no answer in time (network, proxy, firewall?)"))
        except (DirectoryUnavailable, UnknownUser) as exc:
            steps.append(CheckStep(name, False, str(exc)))
        return False

    async def token() -> str:
        await directory.tokens.token()
        return "app token acquired from the authority"

    probe: dict[str, str] = {}

    async def users() -> str:
        if probe_user:
            user = await directory.call(directory.get_user(probe_user), "/users/{id}")
            probe["id"] = user["id"]
            return "read the given user"
        config = RequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                select=["id"], top=1
            )
        )
        request_info = directory.client.users.to_get_request_information(config)
        page = await directory.call(directory.get_json(request_info, "/users"), "/users")
        value = page.get("value")
        if not isinstance(value, list) or not value or not isinstance(value[0], dict):
            raise DirectoryUnavailable("Graph returned no users for /users")
        probe["id"] = str(value[0].get("id"))
        return "read a user (User.Read.All works)"

    async def member_of() -> str:
        groups = await directory.call(directory.get_groups(probe["id"]), "transitiveMemberOf")
        return f"read group memberships (GroupMember.Read.All works; {len(groups)} groups)"

    async def configured_groups() -> str:
        # A typo in KIW_KIPASS_GROUP_ID would make nobody hold a KI-Pass: check it exists.
        named = {directory.kipass_group_id: "KI-Pass group (KIW_KIPASS_GROUP_ID)"}
        for gid, access in directory.access_groups_by_id.items():
            named.setdefault(gid, f"access group '{access}' (KIW_ACCESS_GROUP_MAP)")
        found = []
        for gid, role in named.items():
            name = await directory.call(_group_name(directory, gid), f"/groups/{gid}")
            found.append(f"{role}: '{name}'")
        return "; ".join(found)

    if await step("token", token) and await step("users", users):
        await step("transitiveMemberOf", member_of)
        await step("configured groups", configured_groups)
    return steps


async def _group_name(directory: GraphDirectory, group_id: str) -> str:
    config = RequestConfiguration(
        query_parameters=GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
            select=["id", "displayName"]
        )
    )
    builder = directory.client.groups.by_group_id(group_id)
    try:
        data = await directory.get_json(builder.to_get_request_information(config), "/groups/{id}")
    except APIError as exc:
        if exc.response_status_code == 404:
            raise DirectoryUnavailable(
                f"group {group_id} does not exist in the tenant: check the configured id"
            ) from None
        raise
    name = data.get("displayName")
    return name if isinstance(name, str) else group_id
