"""Every command through the Microsoft 365 Agents Playground, and the wording of every reply
(issue 15, "Done means"): the visible text of each bot message holds no English identifier
(snake_case names, raw access-group ids), no »…« quotes and no "1 Vorgänge".

The 1:1 chat runs every command (hilfe, frage, suche, „Mehr Treffer“, zusammenfassen, kipass,
priorisieren, a pasted ALLRIS link); the group chat and the channel run the commands whose
reply depends on the conversation (the audience). Needs Debian's chromium and the Playground
(see test_playground.py).

With KIW_PLAYGROUND_SCREENSHOTS=docs set, the test writes the screenshots used in
docs/replies-and-wording.md into that folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.extensions import SEARCH_COMMAND
from skills.trace import Trace
from tests.bot.audience_kit import index_samples
from tests.bot.teams.playground import (
    REPO,
    STEP_TIMEOUT_MS,
    playground_page,
    require_tools,
    sample_bot,
    say,
    wait_for_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DIRECTORY = REPO / "samples" / "directory.yaml"
LINK = "https://allris.luebeck.de/public/vo020?VOLFDNR=14102"

# snake_case identifiers: skill names (allris_search, policy_qa), reasons (kipass_required).
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Typographic quotes of the wrong style: German text quotes „…“.
WRONG_QUOTES = re.compile(r"[»«]")
# "1" before a plural noun the bot counts (wording.count_of makes "1 Vorgang").
ONE_PLURAL = re.compile(
    r"(?<![\d.,])\b1 (?:weitere )?(?:Vorgänge|Dokumente|Quellen|Ergebnisse|Seiten|Anlagen|"
    r"Fundstellen|Einträge|Anträge|Stellen|Passagen|Papiere|Schritte|Gruppen|Personen)\b"
)


def _group_ids() -> list[str]:
    """The raw access-group ids of the sample directory (users read their display names)."""
    directory = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    ids = set(directory["group_names"])
    for user in directory["users"]:
        ids.update(user.get("groups") or [])
    return sorted(ids)


def wording_violations(text: str, group_ids: list[str]) -> list[str]:
    """What in one reply's visible text breaks the three wording rules."""
    found = [f"identifier {m}" for m in SNAKE_CASE.findall(text)]
    found += [f"group id {g}" for g in group_ids if re.search(rf"(?<![\w-]){g}(?![\w-])", text)]
    found += [f"quote {m}" for m in WRONG_QUOTES.findall(text)]
    found += [f"count {m}" for m in ONE_PLURAL.findall(text)]
    return found


def test_the_rules_catch_what_a_new_user_saw() -> None:
    """The checks themselves: each rule fires on what was reported, not on good German."""
    ids = _group_ids()
    assert "ki-werkstatt-admins" in ids
    assert wording_violations("Skill allris_search: kipass_required", ids) == [
        "identifier allris_search",
        "identifier kipass_required",
    ]
    assert wording_violations("Gruppen: ki-werkstatt-admins", ids) == [
        "group id ki-werkstatt-admins"
    ]
    assert wording_violations("»Radverkehr«, 1 Vorgänge, 1 weitere Anlagen", ids) == [
        "quote »",
        "quote «",
        "count 1 Vorgänge",
        "count 1 weitere Anlagen",
    ]
    good = "„Radverkehr“: 1 Vorgang, 11 Vorgänge, 2.001 Vorgänge, KI-Werkstatt (Verwaltung)"
    assert wording_violations(good, ids) == []


# The visible text of the open conversation: the smallest part of the page that holds the
# message editor and every card the bot sent (not the chat list, not the log panel, which shows
# raw payloads). Besides the bot's replies it holds only the typed commands.
PANE_TEXT = """() => {
    const cards = [...document.querySelectorAll('.ac-adaptiveCard')];
    let pane = document.querySelector('[data-lexical-editor="true"]');
    while (pane && !cards.every(card => pane.contains(card))) {
        pane = pane.parentElement;
    }
    return pane ? pane.innerText : '';
}"""


async def _conversation_text(page: Any) -> str:
    text: str = await page.evaluate(PANE_TEXT)
    return text


def _count(text: str, words: str) -> int:
    """How often `words` stand in `text`, ignoring case (as the Playground's text search)."""
    return text.lower().count(words.lower())


async def _until_shown(page: Any, name: str, words: str, times: int) -> str:
    """Until the conversation shows `words` at least `times` times; its text then. A condition
    in the browser, not a pause: under load a reply renders late, and a fixed wait read the
    conversation before it (the earlier replies held the same words, so nothing noticed)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_function(
            f"([words, times]) => ({PANE_TEXT})().toLowerCase().split(words).length - 1 >= times",
            arg=[words.lower(), times],
            timeout=STEP_TIMEOUT_MS,
        )
    except PlaywrightTimeout:
        shown = (await _conversation_text(page))[-600:]
        pytest.fail(f"{name}: no reply with „{words}“ within {STEP_TIMEOUT_MS} ms:\n{shown}")
    return await _conversation_text(page)


async def test_every_command_reads_german_in_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    require_tools()  # before the slow indexing
    await index_samples(data_dir)
    traces: list[Trace] = []
    bot_url = await sample_bot(aiohttp_server, data_dir, traces)
    shots = os.environ.get("KIW_PLAYGROUND_SCREENSHOTS")
    ids = _group_ids()
    replies: dict[str, str] = {}

    async with playground_page(bot_url, tmp_path) as (page, editor):

        async def step(name: str, text: str, wait_for: str, *, mention: bool = False) -> None:
            """Say `text`; the reply holds `wait_for` (which the typed words may hold too, and
            earlier replies): wait until it shows once more than before plus the typed words.
            The reply's cards (feedback included) are one activity, rendered together."""
            before = len(traces)
            shown = _count(await _conversation_text(page), wait_for)
            await say(page, editor, text, mention=mention)
            await wait_for_trace(traces, before + 1)
            times = shown + _count(text, wait_for) + 1
            replies[name] = await _until_shown(page, name, wait_for, times)

        # The 1:1 chat: every command.
        await step("1:1 hilfe", "hilfe", "Das kann ich für Sie tun")
        await step("1:1 frage", "frage Wie lange ist der KI-Pass gültig?", "KI-Pass")
        await step("1:1 suche", "suche Radverkehr", "Ergebnisse aus dem Ratsinformationssystem")
        await step("1:1 suche breit", "suche 2026", "Ergebnisse aus dem Ratsinformationssystem")
        more = page.get_by_role("button", name="Mehr Treffer")
        assert await more.count() >= 1, "„suche 2026“ finds more than one page of papers"
        before = len(traces)
        pages = _count(replies["1:1 suche breit"], "Seite 2")
        await more.last.click()
        await wait_for_trace(traces, before + 1)
        replies["1:1 Mehr Treffer"] = await _until_shown(
            page, "1:1 Mehr Treffer", "Seite 2", pages + 1
        )
        await step("1:1 zusammenfassen", "zusammenfassen VO/2026/14102", "Zusammenfassung")
        await step("1:1 kipass", "kipass", "KI-Pass")
        await step("1:1 priorisieren", "priorisieren", "Inventarliste")
        await step("1:1 Link", LINK, "Sichere Radwege auf der Altstadtinsel")
        if shots:
            await page.screenshot(path=str(Path(shots) / "playground-chat.png"))

        # The group chat: answers trimmed to what everyone in it may read.
        await page.get_by_role("treeitem", name="Group Chat").click()
        await page.get_by_text("Willkommen beim KI-Werkstatt Assistenten").first.wait_for()
        await step("Gruppe suche", "suche Radverkehr", "Ergebnisse", mention=True)
        # The status goes to the 1:1 chat; the group reads one neutral line.
        await step("Gruppe kipass", "kipass", "persönlichen Chat", mention=True)
        # A council Antrag asked as a rules question: the rules say nothing about it.
        await step(
            "Gruppe frage",
            "frage Was steht im Antrag zum Radverkehr?",
            "keine Aussage",
            mention=True,
        )
        if shots:
            await page.screenshot(path=str(Path(shots) / "playground-group.png"))

        # The channel: replies in the thread of the post.
        await page.get_by_role("treeitem", name="General").click()
        await page.get_by_text("Start a new post").first.wait_for()
        await step("Kanal hilfe", "hilfe", "Das kann ich für Sie tun", mention=True)
        await step("Kanal suche", "suche Radverkehr", "Ergebnisse", mention=True)
        if shots:
            await page.screenshot(path=str(Path(shots) / "playground-channel.png"))

        # The personal status the group chat's „kipass“ sent to the 1:1 chat.
        await page.get_by_role("treeitem", name="Personal Chat").click()
        statuses = _count(replies["1:1 Link"], "Ihr KI-Pass")  # the 1:1 „kipass“ before
        replies["1:1 nach Gruppe kipass"] = await _until_shown(
            page, "1:1 nach Gruppe kipass", "Ihr KI-Pass", statuses + 1
        )

    skills = [t.step("route").details["skill"] for t in traces if t.step("route")]  # type: ignore[union-attr]
    for skill in ("help", "policy_qa", "allris_search", "summarise", "kipass", "prioritise"):
        assert skill in skills, f"{skill} never answered: {skills}"
    violations = {
        name: problems
        for name, text in replies.items()
        if (problems := wording_violations(text, ids))
    }
    assert replies and all(replies.values())
    assert violations == {}, violations


async def test_message_extension_search_reads_german_in_the_playground(
    aiohttp_server: Any, data_dir: Path, tmp_path: Path
) -> None:
    """The compose box's search (Playground: „Search Command“; without a manifest it asks for
    the command id and parameter name, as a developer would fill them)."""
    require_tools()
    await index_samples(data_dir)
    bot_url = await sample_bot(aiohttp_server, data_dir, [])
    async with playground_page(bot_url, tmp_path) as (page, _editor):
        await page.get_by_label("Trigger Message Extension App").click()
        await page.get_by_role("menuitem", name="Search Command").click()
        await page.get_by_text("Specify Command ID or Parameter").click()
        await page.get_by_placeholder("Command ID").fill(SEARCH_COMMAND)
        await page.get_by_placeholder("Parameter name").fill("query")
        box = page.get_by_placeholder("Enter a search term")
        await box.fill("Radverkehr")
        await box.press("Enter")
        panel = page.locator("div", has=box).filter(has_text="Search-Based Message Extension").last
        await panel.get_by_text("Sichere Radwege auf der Altstadtinsel").first.wait_for()
        shown: str = await panel.inner_text()
    assert "VO/2026/14102" in shown
    assert wording_violations(shown, _group_ids()) == []
