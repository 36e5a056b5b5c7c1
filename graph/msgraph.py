"""The production directory: Microsoft Graph through msgraph-sdk, app token through msal.

- Authentication: the one msal wrapper (graph/entra.py: client credentials, secret or
  certificate; msal hands out the cached token until shortly before it expires), fed to
  kiota's BaseBearerTokenAuthenticationProvider by `MsalTokenProvider` (graph/graph_token.py).
- Calls: `GET /users/{id}?$select=id,displayName,userPrincipalName[,<expiry attribute>]` and
  `GET /users/{id}/transitiveMemberOf/graph.group?$select=id,displayName&$top=999` (paged via
  @odata.nextLink, header ConsistencyLevel: eventual).
- KI-Pass = transitive membership in the configured group; the end date comes from an optional
  directory extension attribute (extension_<appid>_kipassValidUntil, ISO date). A member without
  that attribute holds a KI-Pass without end date. The steps done towards it (training,
  Dienstvereinbarung, Leitlinien, checklist) come from another optional attribute
  (extension_<appid>_kipassSteps, "schulung,dienstvereinbarung"), so a refusal can say what is
  still open.
- Access groups: configured Entra group ids map to document access groups (faction, committee).
- Throttling: kiota's RetryHandler retries 429/503/504 honouring Retry-After (a bounded number of
  times); the whole lookup has a deadline. Timeout, errors and unexpected JSON raise
  DirectoryUnavailable with a plain reason, 404 raises UnknownUser: the gate fails closed.

Needed application permissions (admin consent): User.Read.All and GroupMember.Read.All.
The attributes are read in graph/attributes.py; `kiw kipass check` is graph/diagnosis.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import warnings
from collections.abc import Awaitable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

# msgraph-sdk's generated modules warn about their own deprecated classes when they are first
# imported, and the request builders import them lazily. Import every module this file
# touches here, once, with those warnings silenced, so no call triggers them later.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_abstractions.request_information import RequestInformation
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.groups.groups_request_builder import (  # noqa: F401
        GroupsRequestBuilder,
    )
    from msgraph.generated.groups.item.group_item_request_builder import (  # noqa: F401
        GroupItemRequestBuilder,
    )
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.users.item.transitive_member_of.graph_group.graph_group_request_builder import (
        GraphGroupRequestBuilder,
    )
    from msgraph.generated.users.item.transitive_member_of.transitive_member_of_request_builder import (  # noqa: F401
        TransitiveMemberOfRequestBuilder,
    )
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder  # noqa: F401
    from msgraph_core import GraphClientFactory

from graph.attributes import parse_expiry, parse_steps
from graph.entra import EntraApp, authority_url, load_certificate_credential
from graph.graph_token import MsalTokenProvider
from graph.principal import NO_EXPIRY, DirectoryUnavailable, Principal, UnknownUser
from kiw_common.vocabulary import PUBLIC

log = logging.getLogger(__name__)

PERMISSIONS = "User.Read.All and GroupMember.Read.All"
MAX_GROUP_PAGES = 50  # 50 x 999 groups: far beyond any real user; stops a looping nextLink
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12,13}$")
UPN = re.compile(r"^[^\s/\\?#@]+(#EXT#)?@[^\s/\\?#@]+$", re.IGNORECASE)

T = TypeVar("T")


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """httpx wants an SSLContext for a CA bundle (a path is deprecated there)."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


class GraphDirectory:
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str | None = None,
        client_certificate: Path | str | None = None,
        kipass_group_id: str,
        kipass_expiry_attribute: str | None = None,
        kipass_steps_attribute: str | None = None,
        access_groups_by_id: dict[str, str] | None = None,
        graph_base_url: str = "https://graph.microsoft.com/v1.0",
        authority_host: str = "https://login.microsoftonline.com",
        timeout_seconds: float = 5.0,
        max_retries: int = 2,
        verify: bool | str = True,
    ) -> None:
        """`verify`: TLS verification for Graph and the authority: True, or a CA bundle path
        (tests trust their loopback certificate this way)."""
        if not (tenant_id and client_id and kipass_group_id):
            raise ValueError("tenant_id, client_id and kipass_group_id are required")
        credential: str | dict[str, Any]
        if client_certificate:
            credential = load_certificate_credential(Path(client_certificate))
        elif client_secret:
            credential = client_secret
        else:
            raise ValueError("a client secret or a client certificate is required")
        self.tenant_id = tenant_id
        self.kipass_group_id = kipass_group_id.lower()
        self.kipass_expiry_attribute = kipass_expiry_attribute or None
        self.kipass_steps_attribute = kipass_steps_attribute or None
        self.access_groups_by_id = {k.lower(): v for k, v in (access_groups_by_id or {}).items()}
        self.timeout_seconds = timeout_seconds
        self.graph_base_url = graph_base_url.rstrip("/")
        graph_host = urlsplit(self.graph_base_url).hostname or ""
        entra = EntraApp(
            client_id=client_id,
            credential=credential,
            authority=authority_url(tenant_id, authority_host),
            verify=verify,
            timeout_seconds=timeout_seconds,
        )
        self.tokens = MsalTokenProvider(entra, allowed_host=graph_host)
        # Our own transport: msgraph-core wraps it in a transport whose aclose() does not close
        # the wrapped one, so close() closes it itself.
        self._transport = httpx.AsyncHTTPTransport(verify=_ssl_context(verify))
        http = httpx.AsyncClient(
            base_url=self.graph_base_url,
            # Below the lookup deadline, so a slow Graph ends in httpx's own timeout (which
            # closes the connection cleanly) before the deadline has to cancel anything.
            timeout=httpx.Timeout(timeout_seconds * 0.8),
            transport=self._transport,
        )
        retry = RetryHandlerOption(delay=0.0, max_retries=max_retries)
        http = GraphClientFactory.create_with_default_middleware(
            client=http, options={RetryHandlerOption.get_key(): retry}
        )
        self._http = http
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(self.tokens), http)
        adapter.base_url = self.graph_base_url
        self.client = GraphServiceClient(request_adapter=adapter)

    # ------------------------------------------------------------ lookups

    async def lookup(self, user_id: str) -> Principal:
        user_id = user_id.strip()
        if not (GUID.match(user_id) or UPN.match(user_id)) or len(user_id) > 320:
            # Not an object id or UPN: Graph would answer 400; do not send it at all.
            raise UnknownUser("not an Entra object id or UPN")
        try:
            async with asyncio.timeout(self.timeout_seconds):
                user, groups = await self._user_and_groups(user_id)
        except TimeoutError:
            raise DirectoryUnavailable(
                f"Microsoft Graph did not answer within {self.timeout_seconds:.0f} s"
            ) from None
        return self._principal(user, groups)

    async def _user_and_groups(self, user_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Both calls at once (Graph takes an object id or a UPN in either path): a cold lookup
        costs one round trip, not two. Both run to their end (each bounded by the HTTP
        timeout) rather than cancelling one another: a request cancelled mid-flight can leave
        its connection behind in httpcore."""
        results: list[Any] = await asyncio.gather(
            self.call(self.get_user(user_id), "/users/{id}"),
            self.call(self.get_groups(user_id), "transitiveMemberOf"),
            return_exceptions=True,
        )
        errors = [e for e in results if isinstance(e, BaseException)]
        if errors:
            # "Unknown user" wins over the other call's failure.
            raise next((e for e in errors if isinstance(e, UnknownUser)), errors[0])
        user: dict[str, Any] = results[0]
        groups: dict[str, str] = results[1]
        return user, groups

    async def get_json(self, request_info: RequestInformation, what: str) -> dict[str, Any]:
        """Send one request the SDK built; parse and check the JSON ourselves.

        The typed models would quietly turn a malformed answer into empty fields (a group list
        that is not a list becomes "no groups"); reading the raw body lets us fail closed.
        """
        # Typed as returning None in kiota's abstract adapter; the httpx adapter returns bytes.
        adapter: Any = self.client.request_adapter
        body = await adapter.send_primitive_async(request_info, "bytes", {"XXX": ODataError})
        if not isinstance(body, bytes) or not body:
            raise DirectoryUnavailable(f"Graph sent an empty answer for {what}")
        try:
            data = json.loads(body)
        except ValueError:
            raise DirectoryUnavailable(
                f"Graph sent an answer that is not JSON for {what}"
            ) from None
        if not isinstance(data, dict):
            raise DirectoryUnavailable(f"Graph sent JSON that is not an object for {what}")
        return data

    async def get_user(self, user_id: str) -> dict[str, Any]:
        select = ["id", "displayName", "userPrincipalName"]
        select += [a for a in (self.kipass_expiry_attribute, self.kipass_steps_attribute) if a]
        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=select
            )
        )
        builder = self.client.users.by_user_id(user_id)
        data = await self.get_json(builder.to_get_request_information(config), "/users/{id}")
        user_id_value = data.get("id")
        if not isinstance(user_id_value, str) or not user_id_value:
            raise DirectoryUnavailable("unexpected JSON from Graph for /users/{id}: no text 'id'")
        name = data.get("displayName")
        upn = data.get("userPrincipalName")
        return {
            "id": user_id_value,
            "displayName": name if isinstance(name, str) else "",
            "userPrincipalName": upn if isinstance(upn, str) else None,
            "expiry": data.get(self.kipass_expiry_attribute)
            if self.kipass_expiry_attribute
            else None,
            "steps": data.get(self.kipass_steps_attribute) if self.kipass_steps_attribute else None,
        }

    async def get_groups(self, object_id: str) -> dict[str, str]:
        """Transitive group memberships: id (lower case) -> display name, all pages."""
        builder = self.client.users.by_user_id(object_id).transitive_member_of.graph_group
        config = RequestConfiguration(
            query_parameters=GraphGroupRequestBuilder.GraphGroupRequestBuilderGetQueryParameters(
                select=["id", "displayName"], top=999
            )
        )
        # Advanced directory queries (casts with $count/$filter) need eventual consistency;
        # sending it always keeps the call valid whichever of them Graph applies.
        config.headers.add("ConsistencyLevel", "eventual")
        request_info = builder.to_get_request_information(config)
        graph_netloc = urlsplit(self.graph_base_url).netloc
        groups: dict[str, str] = {}
        for _ in range(MAX_GROUP_PAGES):
            page = await self.get_json(request_info, "transitiveMemberOf")
            value = page.get("value")
            if not isinstance(value, list):
                raise DirectoryUnavailable(
                    "unexpected JSON from Graph for transitiveMemberOf: 'value' is not a list"
                )
            for group in value:
                if not isinstance(group, dict) or not isinstance(group.get("id"), str):
                    raise DirectoryUnavailable(
                        "unexpected JSON from Graph for transitiveMemberOf: a group without 'id'"
                    )
                name = group.get("displayName")
                groups[group["id"].lower()] = name if isinstance(name, str) else ""
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return groups
            if not isinstance(next_link, str) or urlsplit(next_link).netloc != graph_netloc:
                raise DirectoryUnavailable("Graph sent an @odata.nextLink to another host")
            next_config = RequestConfiguration[Any]()
            next_config.headers.add("ConsistencyLevel", "eventual")
            request_info = builder.with_url(next_link).to_get_request_information(next_config)
        raise DirectoryUnavailable(f"transitiveMemberOf has more than {MAX_GROUP_PAGES} pages")

    async def call(self, call: Awaitable[T], what: str) -> T:
        """Run one SDK call; turn every failure into UnknownUser or a plain DirectoryUnavailable."""
        try:
            return await call
        except (UnknownUser, DirectoryUnavailable):
            raise
        except APIError as exc:
            status = exc.response_status_code or 0
            if status == 404 or (status == 400 and what == "/users/{id}"):
                raise UnknownUser("Graph does not know this user") from None
            raise DirectoryUnavailable(describe_status(status, what, _odata_code(exc))) from None
        except httpx.TimeoutException:
            raise DirectoryUnavailable(f"Graph timed out on {what}") from None
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(
                f"cannot reach Graph ({type(exc).__name__}) on {what}"
            ) from None
        except Exception as exc:  # kiota parse errors on malformed JSON, and anything else
            raise DirectoryUnavailable(
                f"unexpected answer from Graph on {what} ({type(exc).__name__})"
            ) from None

    def _principal(self, user: dict[str, Any], groups: dict[str, str]) -> Principal:
        member = self.kipass_group_id in groups
        valid_until: date | None = None
        if member:
            valid_until = NO_EXPIRY
            raw = user.get("expiry")
            if raw not in (None, ""):
                parsed = parse_expiry(raw)
                if parsed is None:
                    # Fail closed on a value nobody can read, and tell the admin (no user named).
                    log.warning(
                        "KI-Pass expiry attribute %s holds an unreadable value; treating the "
                        "KI-Pass as not valid",
                        self.kipass_expiry_attribute,
                    )
                valid_until = parsed
        access = {PUBLIC} | {
            name for gid, name in self.access_groups_by_id.items() if gid in groups
        }
        steps = (
            parse_steps(user.get("steps"), self.kipass_steps_attribute)
            if self.kipass_steps_attribute
            else {}
        )
        return Principal(
            id=user["id"],
            name=user["displayName"] or user["id"],
            upn=user["userPrincipalName"],
            tenant_id=self.tenant_id,
            groups=frozenset(groups),
            kipass_valid_until=valid_until,
            kipass_steps=steps,
            access_groups=frozenset(access),
            group_names={gid: name for gid, name in groups.items() if name},
            access_group_names={
                access_group: groups[gid]
                for gid, access_group in self.access_groups_by_id.items()
                if groups.get(gid)
            },
        )

    # ------------------------------------------------------------ health and diagnosis

    async def ping(self) -> None:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.tokens.token()
        except TimeoutError:
            raise DirectoryUnavailable("token request timed out") from None

    async def close(self) -> None:
        await self._http.aclose()
        await self._transport.aclose()
        self.tokens.close()


def _odata_code(exc: APIError) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else ""


def describe_status(status: int, what: str, code: str = "") -> str:
    """A Graph error status in plain words for admins (logs, `kiw kipass check`)."""
    if status == 403:
        return (
            f"Graph refused {what} (403 {code or 'Forbidden'}): the app registration lacks the "
            f"application permissions {PERMISSIONS}, or an admin has not granted consent. In "
            "Entra admin center > App registrations > (the app) > API permissions, add them as "
            "Application permissions and click 'Grant admin consent'."
        )
    if status == 401:
        return f"Graph rejected the app token on {what} (401): wrong tenant or audience?"
    if status == 429:
        return f"Graph throttled {what} (429) beyond the retries"
    if status >= 500:
        return f"Graph failed on {what} ({status})"
    return f"Graph answered {status} {code} on {what}".replace("  ", " ")
