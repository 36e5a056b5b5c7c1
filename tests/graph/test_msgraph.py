"""GraphDirectory against a loopback Entra + Graph: msal and msgraph-sdk run for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.diagnosis import diagnose
from graph.msgraph import GraphDirectory
from graph.principal import (
    KIPASS_STEPS,
    NO_EXPIRY,
    DirectoryFileError,
    DirectoryUnavailable,
    UnknownUser,
)
from tests.graph.graph_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    EXPIRY_ATTRIBUTE,
    STEPS_ATTRIBUTE,
    TENANT,
    GraphServer,
    GraphUser,
    write_client_certificate,
)

KIPASS_GROUP = "9a8b7c6d-0000-4000-8000-00000000c1a5"
GRUENE_GROUP = "9a8b7c6d-0000-4000-8000-0000000000f1"
BAU_GROUP = "9a8b7c6d-0000-4000-8000-0000000000b1"
ANNA = "aaaaaaaa-1111-4111-8111-000000000001"
BERND = "aaaaaaaa-1111-4111-8111-000000000002"
CLARA = "aaaaaaaa-1111-4111-8111-000000000003"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[GraphServer]:
    s = await GraphServer(tmp_path, page_size=2).start()
    s.add_user(
        GraphUser(
            ANNA,
            "Anna Petersen",
            "anna.petersen@luebeck.de",
            groups=[
                ("0000aaaa-0000-4000-8000-000000000001", "Alle Beschäftigten"),
                (KIPASS_GROUP.upper(), "KI-Pass"),
                (GRUENE_GROUP, "Fraktion Bündnis 90/Die Grünen"),
                ("0000aaaa-0000-4000-8000-000000000002", "Amt 10"),
                ("0000aaaa-0000-4000-8000-000000000003", "Team Digitales"),
            ],
            extension={EXPIRY_ATTRIBUTE: "2027-06-30"},
        )
    )
    s.add_user(
        GraphUser(
            BERND,
            "Bernd Kröger",
            "bernd.kroeger@luebeck.de",
            groups=[(KIPASS_GROUP, "KI-Pass"), (BAU_GROUP, "Bauausschuss")],
        )
    )
    s.add_user(GraphUser(CLARA, "Clara Hansen", "clara.hansen@luebeck.de", groups=[]))
    yield s
    await s.close()


def make_directory(server: GraphServer, **overrides: Any) -> GraphDirectory:
    args: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "kipass_group_id": KIPASS_GROUP,
        "kipass_expiry_attribute": EXPIRY_ATTRIBUTE,
        "access_groups_by_id": {GRUENE_GROUP: "fraktion-gruene", BAU_GROUP: "ausschuss-bau"},
        "graph_base_url": server.graph_base_url,
        "authority_host": server.base,
        "verify": str(server.ca_file),
        "timeout_seconds": 5.0,
    }
    args.update(overrides)
    return GraphDirectory(**args)


@pytest.fixture
async def directory(server: GraphServer) -> AsyncIterator[GraphDirectory]:
    d = make_directory(server)
    yield d
    await d.close()


async def test_lookup_by_object_id_reads_user_groups_kipass_and_access(
    server: GraphServer, directory: GraphDirectory
) -> None:
    p = await directory.lookup(ANNA)
    assert (p.id, p.name, p.upn, p.tenant_id) == (
        ANNA,
        "Anna Petersen",
        "anna.petersen@luebeck.de",
        TENANT,
    )
    assert p.kipass_valid_until == date(2027, 6, 30)
    assert p.access_groups == {"public", "fraktion-gruene"}
    # What users read for the mapped access group: the Graph group's displayName.
    assert p.access_group_names == {"fraktion-gruene": "Fraktion Bündnis 90/Die Grünen"}
    assert len(p.groups) == 5 and KIPASS_GROUP in p.groups
    # 5 groups at 2 per page: three transitiveMemberOf calls, following @odata.nextLink.
    member_calls = server.graph_calls("transitiveMemberOf")
    assert len(member_calls) == 3
    assert "$skiptoken=4" in member_calls[-1]
    user_call = server.graph_calls(f"/users/{ANNA}?")[0]
    assert EXPIRY_ATTRIBUTE in user_call and "$select=" in user_call
    for _method, path, headers in server.requests:
        if "transitiveMemberOf" in path:
            lowered = {k.lower(): v for k, v in headers.items()}
            assert lowered.get("consistencylevel") == "eventual", path


async def test_lookup_by_upn_is_case_insensitive(directory: GraphDirectory) -> None:
    p = await directory.lookup("Anna.Petersen@LUEBECK.de")
    assert p.id == ANNA


async def test_member_without_expiry_holds_kipass_without_end_date(
    directory: GraphDirectory,
) -> None:
    p = await directory.lookup(BERND)
    assert p.kipass_valid_until == NO_EXPIRY
    assert p.kipass_valid(date(2099, 1, 1))
    assert p.access_groups == {"public", "ausschuss-bau"}


async def test_non_member_has_no_kipass_even_with_expiry_attribute(
    server: GraphServer, directory: GraphDirectory
) -> None:
    server.users[CLARA.lower()].extension[EXPIRY_ATTRIBUTE] = "2030-01-01"
    p = await directory.lookup(CLARA)
    assert p.kipass_valid_until is None
    assert p.access_groups == {"public"}


async def test_steps_attribute_tells_which_kipass_steps_are_open(
    server: GraphServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.users[BERND.lower()].extension[STEPS_ATTRIBUTE] = "Schulung, dienstvereinbarung;Quiz"
    server.users[CLARA.lower()].extension[STEPS_ATTRIBUTE] = ["leitlinien"]
    directory = make_directory(server, kipass_steps_attribute=STEPS_ATTRIBUTE)
    try:
        bernd, clara, anna = [await directory.lookup(u) for u in (BERND, CLARA, ANNA)]
    finally:
        await directory.close()
    assert bernd.open_kipass_steps() == ["leitlinien", "checkliste"]
    assert clara.open_kipass_steps() == ["schulung", "dienstvereinbarung", "checkliste"]
    assert anna.open_kipass_steps() == list(KIPASS_STEPS)  # attribute unset: nothing done yet
    assert STEPS_ATTRIBUTE in server.graph_calls(f"/users/{BERND}?")[0]
    assert "unknown steps quiz" in caplog.text  # the admin hears of the typo, not who has it
    assert BERND not in caplog.text


async def test_without_steps_attribute_the_steps_are_unknown(directory: GraphDirectory) -> None:
    assert (await directory.lookup(BERND)).kipass_steps == {}


async def test_past_expiry_means_expired(server: GraphServer, directory: GraphDirectory) -> None:
    server.users[ANNA.lower()].extension[EXPIRY_ATTRIBUTE] = "2025-01-31T00:00:00Z"
    p = await directory.lookup(ANNA)
    assert p.kipass_valid_until == date(2025, 1, 31)
    assert p.kipass_state(date(2026, 11, 27)) == "expired"


async def test_unreadable_expiry_fails_closed(
    server: GraphServer, directory: GraphDirectory
) -> None:
    server.users[ANNA.lower()].extension[EXPIRY_ATTRIBUTE] = "bis auf Weiteres"
    p = await directory.lookup(ANNA)
    assert p.kipass_valid_until is None


async def test_one_token_until_expiry(server: GraphServer, directory: GraphDirectory) -> None:
    for user in (ANNA, BERND, CLARA, ANNA):
        await directory.lookup(user)
    assert server.token_requests == 1
    assert server.hits["discovery"] == 1


async def test_unknown_user_is_404(server: GraphServer, directory: GraphDirectory) -> None:
    with pytest.raises(UnknownUser):
        await directory.lookup("bbbbbbbb-1111-4111-8111-000000000009")
    assert server.graph_calls("/users/bbbbbbbb")


async def test_ids_that_are_neither_guid_nor_upn_never_reach_graph(
    server: GraphServer, directory: GraphDirectory
) -> None:
    for bad in ("../groups", "urn:kiw:unknown-teams-user", "a b@c", ""):
        with pytest.raises(UnknownUser):
            await directory.lookup(bad)
    assert server.graph_calls() == []


async def test_429_is_retried_after_retry_after(
    server: GraphServer, directory: GraphDirectory
) -> None:
    server.throttle_next = 1
    server.retry_after = "1"
    p = await directory.lookup(BERND)
    assert p.id == BERND
    # One of the two calls was throttled once and sent again after Retry-After.
    assert len(server.graph_calls()) == 3
    attempts = [
        {k.lower(): v for k, v in h.items()}.get("retry-attempt") for _, _, h in server.requests
    ]
    assert attempts.count("1") == 1


async def test_throttled_beyond_retries_fails_closed(server: GraphServer) -> None:
    directory = make_directory(server, max_retries=1)
    server.throttle_next = 5
    server.retry_after = "1"
    with pytest.raises(DirectoryUnavailable, match="429"):
        await directory.lookup(BERND)
    await directory.close()


async def test_server_error_fails_closed(server: GraphServer, directory: GraphDirectory) -> None:
    server.fail_next = 1
    with pytest.raises(DirectoryUnavailable, match="500"):
        await directory.lookup(ANNA)


async def test_slow_graph_times_out(server: GraphServer) -> None:
    directory = make_directory(server, timeout_seconds=0.3)
    server.delay_seconds = 2.0
    with pytest.raises(DirectoryUnavailable, match=r"did not answer|timed out"):
        await directory.lookup(ANNA)
    await directory.close()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "not JSON"),
        ("shape", "no text 'id'"),
        ("groups", "'value' is not a list"),
    ],
)
async def test_unexpected_json_fails_closed_with_plain_reason(
    server: GraphServer, directory: GraphDirectory, mode: str, message: str
) -> None:
    server.malformed = mode
    with pytest.raises(DirectoryUnavailable, match=message):
        await directory.lookup(ANNA)


async def test_wrong_secret_is_explained(server: GraphServer) -> None:
    directory = make_directory(server, client_secret="wrong")
    with pytest.raises(DirectoryUnavailable, match="client secret is wrong"):
        await directory.lookup(ANNA)
    assert server.graph_calls() == []
    await directory.close()


async def test_graph_unreachable_fails_closed(server: GraphServer, tmp_path: Path) -> None:
    directory = make_directory(server, graph_base_url="https://127.0.0.1:9/v1.0")
    with pytest.raises(DirectoryUnavailable, match="cannot reach Graph"):
        await directory.lookup(ANNA)
    await directory.close()


async def test_certificate_credential_signs_a_client_assertion(
    server: GraphServer, tmp_path: Path
) -> None:
    cert_file = tmp_path / "app.pem"
    server.client_certificate = write_client_certificate(cert_file)
    directory = make_directory(server, client_secret=None, client_certificate=cert_file)
    p = await directory.lookup(ANNA)
    assert p.id == ANNA
    assert server.token_requests == 1
    await directory.close()


async def test_certificate_not_registered_is_explained(server: GraphServer, tmp_path: Path) -> None:
    cert_file = tmp_path / "app.pem"
    write_client_certificate(cert_file)  # the server trusts no certificate
    directory = make_directory(server, client_secret=None, client_certificate=cert_file)
    with pytest.raises(DirectoryUnavailable, match="certificate"):
        await directory.lookup(ANNA)
    await directory.close()


def test_missing_certificate_file_is_a_start_up_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryFileError, match="not found"):
        GraphDirectory(
            tenant_id=TENANT,
            client_id=CLIENT_ID,
            client_certificate=tmp_path / "missing.pem",
            kipass_group_id=KIPASS_GROUP,
        )


async def test_diagnose_reports_each_step(server: GraphServer, directory: GraphDirectory) -> None:
    steps = await diagnose(directory)
    assert [(s.name, s.ok) for s in steps] == [
        ("token", True),
        ("users", True),
        ("transitiveMemberOf", True),
        ("configured groups", True),
    ]
    assert "KI-Pass group (KIW_KIPASS_GROUP_ID): 'KI-Pass'" in steps[-1].detail
    assert "access group 'fraktion-gruene'" in steps[-1].detail


async def test_diagnose_catches_a_wrong_kipass_group_id(server: GraphServer) -> None:
    directory = make_directory(server, kipass_group_id="9a8b7c6d-0000-4000-8000-0000000000ff")
    steps = await diagnose(directory)
    assert steps[-1].name == "configured groups" and not steps[-1].ok
    assert "9a8b7c6d-0000-4000-8000-0000000000ff does not exist" in steps[-1].detail
    await directory.close()


async def test_diagnose_explains_missing_permission(
    server: GraphServer, directory: GraphDirectory
) -> None:
    server.deny_permission = "groups"
    steps = await diagnose(directory)
    assert [(s.name, s.ok) for s in steps][:3] == [
        ("token", True),
        ("users", True),
        ("transitiveMemberOf", False),
    ]
    assert "GroupMember.Read.All" in steps[2].detail
    assert "Grant admin consent" in steps[2].detail
    assert "Authorization_RequestDenied" in steps[2].detail


async def test_ping_acquires_a_token(server: GraphServer, directory: GraphDirectory) -> None:
    await directory.ping()
    assert server.token_requests == 1


async def test_next_link_to_another_host_is_not_followed(
    server: GraphServer, directory: GraphDirectory
) -> None:
    server.next_link_base = "https://graph.attacker.example/v1.0"
    with pytest.raises(DirectoryUnavailable, match="another host"):
        await directory.lookup(ANNA)
    assert len(server.graph_calls("transitiveMemberOf")) == 1


def test_pem_without_key_is_a_start_up_error(tmp_path: Path) -> None:
    bad = tmp_path / "cert-only.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(DirectoryFileError, match="private key"):
        GraphDirectory(
            tenant_id=TENANT,
            client_id=CLIENT_ID,
            client_certificate=bad,
            kipass_group_id=KIPASS_GROUP,
        )
