"""Message-extension invokes, driven through bot/extensions.handle_invoke with recorded payloads.

The same payloads go through the real HTTP endpoint in test_extensions_http.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.audit import AUDIT_KEYS, AuditLog
from bot.extensions import handle_invoke
from bot.pipeline import Pipeline
from bot.services import Services
from skills.registry import all_skills
from tests.bot.extension_kit import (
    HOME_TENANT,
    OPARL,
    OTHER_TENANT,
    USER_FACTION,
    USER_FOREIGN,
    WEB,
    assert_outlook_safe,
    cards_in,
    invoke,
    seeded_services,
)
from tests.bot.kit import USER_WITH_PASS, USER_WITHOUT_PASS, audit_lines


@pytest.fixture
async def services(data_dir: Path) -> AsyncIterator[Services]:
    built = await seeded_services(data_dir)
    yield built
    await built.aclose()


async def run(
    services: Services, name: str, value: dict[str, Any], user: str | None = USER_WITH_PASS
) -> tuple[int, dict[str, Any]]:
    status, body = await handle_invoke(
        name, value, user, "tenant", services, pipeline=Pipeline.for_services(services, all_skills)
    )
    json.dumps(body)  # the body must be plain JSON for the Bot Framework invoke response
    return status, body


def hint(body: dict[str, Any]) -> str:
    result = body["composeExtension"]
    assert result["type"] == "message"
    text: str = result["text"]
    return text


async def test_search_returns_one_card_per_paper_with_the_facts(services: Services) -> None:
    activity = invoke("query_teams.json")
    status, body = await run(services, activity["name"], activity["value"])
    assert status == 200
    result = body["composeExtension"]
    assert (result["type"], result["attachmentLayout"]) == ("result", "list")
    titles = [a["preview"]["content"]["title"] for a in result["attachments"]]
    assert sorted(titles) == ["Fahrradparken am Bahnhof", "Radverkehrskonzept Innenstadt"]
    first = next(
        a for a in result["attachments"] if "Innenstadt" in a["preview"]["content"]["title"]
    )
    assert first["preview"]["contentType"] == "application/vnd.microsoft.card.thumbnail"
    assert first["preview"]["content"]["text"] == "VO/2026/1001 · 14.10.2026 · Bauausschuss"
    card = first["content"]
    assert_outlook_safe(card)
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts == {
        "Aktenzeichen": "VO/2026/1001",
        "Datum": "14.10.2026",
        "Gremium": "Bauausschuss",
        "Art": "Beschlussvorlage",
    }
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "In ALLRIS öffnen", "url": f"{WEB}1001"}
    ]
    [line] = audit_lines(services)
    assert (line["event"], line["skill"], line["reason"], line["outcome"]) == (
        "extension",
        "allris_search",
        "query",
        "ok",
    )
    assert "Radverkehr" not in json.dumps(line)  # never the search text


async def test_outlook_search_is_routed_by_name_and_trimmed_by_access(services: Services) -> None:
    activity = invoke("query_outlook.json")
    assert activity["channelId"] == "m365extensions"
    status, body = await run(
        services, activity["name"], activity["value"], activity["from"]["aadObjectId"]
    )
    assert status == 200
    titles = {a["preview"]["content"]["title"] for a in body["composeExtension"]["attachments"]}
    assert "Vertrauliche Fraktionsvorlage Radverkehr Geheimtitel" in titles  # faction member
    for card in cards_in(body):
        assert_outlook_safe(card)
    # The same search by someone outside the faction never shows the non-public paper.
    _, other = await run(services, activity["name"], activity["value"], USER_WITH_PASS)
    assert "Geheimtitel" not in json.dumps(other, ensure_ascii=False)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "Bitte geben Sie einen Suchbegriff ein"),
        ("   ", "Bitte geben Sie einen Suchbegriff ein"),
        ("Radverkehr " * 182, "Der Suchbegriff ist zu lang (2001 Zeichen)"),
        ("Xylophonorchester", "Keine Ratsdokumente zu „Xylophonorchester“ gefunden"),
    ],
)
async def test_bad_search_input_gets_a_german_hint(
    services: Services, query: str, expected: str
) -> None:
    value = invoke("query_teams.json")["value"]
    value["parameters"] = [{"name": "query", "value": query}]
    status, body = await run(services, "composeExtension/query", value)
    assert status == 200
    assert hint(body).startswith(expected), hint(body)


async def test_initial_run_and_missing_or_unknown_command(services: Services) -> None:
    value = invoke("query_teams.json")["value"]
    initial = dict(value, parameters=[{"name": "initialRun", "value": "true"}])
    _, body = await run(services, "composeExtension/query", initial)
    assert hint(body).startswith("Bitte geben Sie einen Suchbegriff ein")
    missing = {k: v for k, v in value.items() if k != "commandId"}
    _, body = await run(services, "composeExtension/query", missing)
    assert hint(body).startswith("Diese Anfrage ist unvollständig")
    _, body = await run(services, "composeExtension/query", dict(value, commandId="other"))
    assert hint(body).startswith("Diesen Befehl kenne ich nicht")
    _, body = await run(services, "composeExtension/query", {"parameters": "nonsense"})
    assert hint(body).startswith("Diese Anfrage ist unvollständig")


async def test_without_kipass_search_gives_public_papers_without_user_a_hint(
    services: Services,
) -> None:
    """A search is no AI feature: without a KI-Pass (or unknown to the directory) public papers
    only; a question would be answered by the generator and is refused."""
    value = invoke("query_teams.json")["value"]
    for user in (USER_WITHOUT_PASS, "aad-somebody-unknown"):
        _, body = await run(services, "composeExtension/query", value, user)
        titles = [c["body"][0]["text"] for c in cards_in(body)]
        assert "Radverkehrskonzept Innenstadt" in titles, user
        assert "Geheimtitel" not in json.dumps(body, ensure_ascii=False)
    question = {**value, "parameters": [{"name": "query", "value": "Was kostet der Radverkehr?"}]}
    _, body = await run(services, "composeExtension/query", question, USER_WITHOUT_PASS)
    assert "KI-Pass" in hint(body)
    _, body = await run(services, "composeExtension/query", value, None)
    assert hint(body).startswith("Ihr Benutzerkonto konnte nicht erkannt werden")


async def test_link_unfurling_of_the_allris_host(services: Services) -> None:
    # An OParl paper URL on the ALLRIS host is the document id: the paper's card.
    _, body = await run(services, "composeExtension/queryLink", {"url": f"{OPARL}1001"})
    [card] = cards_in(body)
    assert_outlook_safe(card)
    assert card["body"][0]["text"] == "Radverkehrskonzept Innenstadt"
    # The recorded web link: a neutral preview with the link, nothing from the index.
    activity = invoke("query_link.json")
    _, body = await run(services, activity["name"], activity["value"])
    [card] = cards_in(body)
    assert_outlook_safe(card)
    assert card["body"][0]["text"] == "Dokument im Ratsinformationssystem"
    assert card["actions"][0]["url"] == activity["value"]["url"]


async def test_link_unfurling_never_reveals_a_paper_outside_the_users_groups(
    services: Services,
) -> None:
    url = {"url": f"{OPARL}1003"}
    _, faction = await run(services, "composeExtension/queryLink", url, USER_FACTION)
    assert "Geheimtitel" in json.dumps(faction, ensure_ascii=False)
    _, other = await run(services, "composeExtension/queryLink", url, USER_WITH_PASS)
    assert "Geheimtitel" not in json.dumps(other, ensure_ascii=False)
    assert cards_in(other)[0]["body"][0]["text"] == "Dokument im Ratsinformationssystem"


@pytest.mark.parametrize(
    "value",
    [
        {"url": "https://evil.example.com/bi/vo020.asp?VOLFDNR=1001"},
        {"url": "https://ratsinfo.luebeck.de.evil.example.com/x"},
        {"url": "ftp://ratsinfo.luebeck.de/x"},
        {"url": "not a url at all"},
        {"url": "https://[::1"},
        {"url": 42},
        {},
    ],
)
async def test_foreign_or_broken_links_get_an_empty_result(
    services: Services, value: dict[str, Any]
) -> None:
    status, body = await run(services, "composeExtension/queryLink", value)
    assert (status, body["composeExtension"]["attachments"]) == (200, [])


async def test_link_unfurling_without_kipass_shows_public_papers_only(
    services: Services,
) -> None:
    _, public = await run(
        services, "composeExtension/queryLink", {"url": f"{OPARL}1001"}, USER_WITHOUT_PASS
    )
    assert cards_in(public)[0]["body"][0]["text"] == "Radverkehrskonzept Innenstadt"
    _, internal = await run(
        services, "composeExtension/queryLink", {"url": f"{OPARL}1003"}, USER_WITHOUT_PASS
    )
    assert "Geheimtitel" not in json.dumps(internal, ensure_ascii=False)


async def test_message_action_dialog_then_insert(services: Services) -> None:
    activity = invoke("fetch_task_summarise.json")
    status, body = await run(services, activity["name"], activity["value"])
    assert status == 200
    task = body["task"]
    assert (task["type"], task["value"]["title"]) == ("continue", "Zusammenfassung")
    [dialog] = cards_in(body)
    assert_outlook_safe(dialog, dialog=True)
    text = json.dumps(dialog, ensure_ascii=False)
    assert "2,4 Millionen Euro" in text or "empfiehlt der Bürgerschaft" in text
    assert "ohne KI erstellt" in text  # the extractive generator says so
    submit = dialog["actions"][0]
    assert submit["type"] == "Action.Submit"

    # Teams sends the button's data back with submitAction: the card goes into the compose box.
    value = dict(invoke("submit_action_insert.json")["value"], data=submit["data"])
    status, body = await run(services, "composeExtension/submitAction", value)
    assert status == 200
    [inserted] = cards_in(body)
    assert_outlook_safe(inserted)
    assert [b["text"] for b in inserted["body"]] == [b["text"] for b in dialog["body"]]


async def test_recorded_submit_action_and_one_without_dialog(services: Services) -> None:
    activity = invoke("submit_action_insert.json")
    _, body = await run(services, activity["name"], activity["value"])
    [card] = cards_in(body)
    assert card["body"][1]["text"] == (
        "- Der Ausschuss empfiehlt der Bürgerschaft, das Konzept zu beschließen."
    )
    # Without the dialog's data (fetchTask off): summarised straight from the message payload.
    value = invoke("fetch_task_summarise.json")["value"]
    _, body = await run(services, "composeExtension/submitAction", value)
    [card] = cards_in(body)
    assert_outlook_safe(card)
    assert len(card["body"]) >= 3


async def test_message_action_bad_input(services: Services) -> None:
    value = invoke("fetch_task_summarise.json")["value"]
    cases = [
        ({k: v for k, v in value.items() if k != "commandId"}, "Diese Anfrage ist unvollständig"),
        (dict(value, messagePayload={"body": {"content": "<p> </p>"}}), "Diese Nachricht enthält"),
        (dict(value, messagePayload="nonsense"), "Diese Nachricht enthält"),
        (
            dict(value, messagePayload={"body": {"content": "Wort " * 5000}}),
            "Die Nachricht ist zu lang",
        ),
    ]
    for broken, expected in cases:
        status, body = await run(services, "composeExtension/fetchTask", broken)
        assert status == 200
        assert body["task"]["type"] == "message"
        assert body["task"]["value"].startswith(expected), body
    _, body = await run(services, "composeExtension/fetchTask", value, USER_WITHOUT_PASS)
    assert "KI-Pass" in body["task"]["value"]
    insert = invoke("submit_action_insert.json")["value"]
    _, body = await run(services, "composeExtension/submitAction", insert, USER_WITHOUT_PASS)
    assert "KI-Pass" in hint(body)


async def test_unsupported_invoke_gets_a_hint(services: Services) -> None:
    status, body = await run(services, "composeExtension/setting", {})
    assert status == 200
    assert hint(body) == "Diese Aktion unterstützt der KI-Werkstatt Assistent nicht."


async def test_audit_outcomes(services: Services) -> None:
    await run(services, "composeExtension/query", invoke("query_teams.json")["value"], None)
    await run(services, "composeExtension/queryLink", {"url": "https://example.org/x"})
    await run(services, "composeExtension/fetchTask", invoke("fetch_task_summarise.json")["value"])
    outcomes = [(line["skill"], line["outcome"]) for line in audit_lines(services)]
    assert outcomes == [("allris_search", "hint"), ("allris_search", "empty"), ("summarise", "ok")]


async def test_the_invoke_line_goes_through_the_pipelines_audit(
    services: Services, tmp_path: Path
) -> None:
    """One audit path: the line lands in the log of the pipeline that ran the invoke, with the
    same fields as a turn's line (the Personalrat's reader knows one schema), and nowhere else."""
    own_log = AuditLog(tmp_path / "pipeline-audit", b"k" * 32)
    pipeline = Pipeline.for_services(services, all_skills)
    pipeline.audit = own_log
    value = invoke("query_teams.json")["value"]
    await handle_invoke(
        "composeExtension/query", value, USER_WITH_PASS, "t", services, pipeline=pipeline
    )
    assert audit_lines(services) == []
    [path] = own_log.files()
    [line] = [json.loads(raw) for raw in path.read_text("utf-8").splitlines()]
    assert tuple(line) == AUDIT_KEYS
    assert (line["event"], line["skill"], line["reason"], line["outcome"], line["scope"]) == (
        "extension", "allris_search", "query", "ok", "extension",
    )  # fmt: skip
    assert line["user"] == own_log.pseudonym(USER_WITH_PASS)
    assert "Radverkehr" not in json.dumps(line)


# ---- issue 12 item 6: the tenant check holds in message extensions too ----
SECRET = ("Geheimtitel", "Interne Abstimmung", "VO/2026/1003")


def _leaks(body: dict[str, Any]) -> bool:
    shown = json.dumps(body, ensure_ascii=False)
    return any(secret in shown for secret in SECRET)


async def _through(services: Services, path: str, user: str, tenant: str) -> dict[str, Any]:
    """One extension path as `user` from `tenant`, aimed at the faction-internal paper."""
    if path == "search":
        value = {**invoke("query_teams.json")["value"]}
        value["parameters"] = [{"name": "query", "value": "Radverkehr"}]
        name = "composeExtension/query"
    elif path == "unfurl":
        value, name = {"url": f"{OPARL}1003"}, "composeExtension/queryLink"
    else:  # the "Zusammenfassen" action on a message that names the internal paper
        activity = invoke(
            "fetch_task_summarise.json" if path == "dialog" else "submit_action_insert.json"
        )
        value = {**activity["value"]}
        value["messagePayload"] = {"body": {"contentType": "html", "content": "VO/2026/1003"}}
        value.pop("data", None)
        name = activity["name"]
    _, body = await handle_invoke(
        name, value, user, tenant, services, pipeline=Pipeline.for_services(services, all_skills)
    )
    return body


@pytest.mark.parametrize("path", ["search", "unfurl", "dialog", "insert"])
async def test_a_user_of_another_tenant_gets_nothing_internal_through_extensions(
    services: Services, path: str
) -> None:
    """USER_FOREIGN holds the faction group and a valid KI-Pass in an entry of OTHER_TENANT.
    Asking from that tenant, the entry applies; asking from the home tenant (the tenant Teams
    names in the invoke), it is a stranger: public papers at most, no AI feature."""
    own_tenant = await _through(services, path, USER_FOREIGN, OTHER_TENANT)
    assert _leaks(own_tenant), "the planted internal paper must be reachable for the control"
    foreign = await _through(services, path, USER_FOREIGN, HOME_TENANT)
    assert not _leaks(foreign), foreign
    if path == "search":
        titles = [c["body"][0]["text"] for c in cards_in(foreign)]
        assert "Radverkehrskonzept Innenstadt" in titles  # public papers still found
    if path in ("dialog", "insert"):
        assert "nicht zur Organisation der Hansestadt Lübeck" in json.dumps(
            foreign, ensure_ascii=False
        )


async def test_a_hint_is_the_results_plain_text(services: Services) -> None:
    """The hint of a refusal or a problem is the text the CLI prints and a chat shows
    (bot/render/text.py), in the same German, line for line."""
    next_step = (
        "Ihr nächster Schritt: Besuchen Sie die KI-Pass-Schulung. Danach nehmen Sie die "
        "Dienstvereinbarung und die KI-Leitlinien zur Kenntnis und schließen die digitale "
        "Checkliste ab."
    )
    after = [
        next_step,
        "Schulung buchen: https://intranet.luebeck.de/ki-pass",
        "Fragen beantwortet die KI-Werkstatt (ki-werkstatt@luebeck.de).",
    ]
    refused = (
        "Für „Vorlagen zusammenfassen“ brauchen Sie einen gültigen KI-Pass. Sie haben noch keinen."
    )
    fetch = invoke("fetch_task_summarise.json")["value"]
    _, body = await run(services, "composeExtension/fetchTask", fetch, USER_WITHOUT_PASS)
    assert body["task"]["value"].splitlines() == [refused, *after]
    insert = invoke("submit_action_insert.json")["value"]
    _, body = await run(services, "composeExtension/submitAction", insert, USER_WITHOUT_PASS)
    assert hint(body).splitlines() == [refused, *after]
    query = invoke("query_teams.json")["value"]
    question = {**query, "parameters": [{"name": "query", "value": "Was kostet der Radverkehr?"}]}
    _, body = await run(services, "composeExtension/query", question, USER_WITHOUT_PASS)
    assert hint(body).splitlines() == [
        "Für Antworten auf Fragen brauchen Sie einen gültigen KI-Pass. Sie haben noch keinen.",
        *after,
    ]
    more = {**query, "parameters": [{"name": "query", "value": "mehr"}]}
    _, body = await run(services, "composeExtension/query", more)
    assert hint(body) == (
        "Für „mehr“ nutzen Sie bitte die Schaltfläche „Mehr Treffer“ unter den Suchergebnissen "
        "oder wiederholen Sie Ihre Suche."
    )
