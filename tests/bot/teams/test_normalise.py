"""Message text as the user meant it: bot @mention and HTML removed, robustly."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity

from bot.plain_text import tidy
from bot.teams.normalise import message_text, strip_bot_mention
from kiw_common.html_text import html_to_text
from tests.support.linear import ends_in_time, hostile

BOT = {"id": "28:bot", "name": "KI-Assistent"}


def activity(
    text: str, entities: list[dict[str, Any]] | None = None, bot: dict[str, str] = BOT
) -> Activity:
    return Activity().deserialize(
        {"type": "message", "text": text, "recipient": bot, "entities": entities or []}
    )


def bot_mention(
    text: str | None = "<at>KI-Assistent</at>", name: str = "KI-Assistent"
) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": "mention", "mentioned": {"id": "28:bot", "name": name}}
    if text is not None:
        entity["text"] = text
    return entity


@pytest.mark.parametrize(
    ("text", "entities", "bot", "expected"),
    [
        ("<at>KI-Assistent</at> suche Radverkehr", [bot_mention()], BOT, "suche Radverkehr"),
        # mention.text missing: the tag with the bot's name goes anyway
        (
            "<at>KI-Assistent</at> suche Radverkehr",
            [bot_mention(text=None)],
            BOT,
            "suche Radverkehr",
        ),
        # regex characters in the name
        (
            "<at>KI (Test)+[a]*?</at> hilfe",
            [bot_mention("<at>KI (Test)+[a]*?</at>", "KI (Test)+[a]*?")],
            {"id": "28:bot", "name": "KI (Test)+[a]*?"},
            "hilfe",
        ),
        (
            "<at>KI.*</at> hilfe",
            [bot_mention(None, "KI.*")],
            {"id": "28:bot", "name": "KI.*"},
            "hilfe",
        ),
        # leading/trailing whitespace, nbsp, mention in the middle or at the end
        (
            "   <at>KI-Assistent</at>\u00a0\u00a0suche   Radverkehr \n ",
            [bot_mention()],
            BOT,
            "suche Radverkehr",
        ),
        ("suche Radverkehr <at>KI-Assistent</at>", [bot_mention()], BOT, "suche Radverkehr"),
        # someone else's mention stays, as a plain name
        (
            "<at>KI-Assistent</at> frage was meint <at>Erika Muster</at>?",
            [
                bot_mention(),
                {
                    "type": "mention",
                    "mentioned": {"id": "29:erika", "name": "Erika Muster"},
                    "text": "<at>Erika Muster</at>",
                },
            ],
            BOT,
            "frage was meint Erika Muster?",
        ),
        # HTML from the Teams editor
        (
            "<p><at>KI-Assistent</at>&nbsp;suche <strong>Radverkehr</strong> &amp; Parken</p>",
            [bot_mention()],
            BOT,
            "suche Radverkehr & Parken",
        ),
        ("<div>frage</div><div>Darf ich?</div>", [], BOT, "frage\nDarf ich?"),
        # the mention entity names the bot with a different display name than the recipient
        (
            "<at>Assistent</at> hilfe",
            [bot_mention("<at>Assistent</at>", "Assistent")],
            BOT,
            "hilfe",
        ),
        # a client that dropped the tags
        ("@KI-Assistent hilfe", [bot_mention(None)], BOT, "hilfe"),
        # no mention at all: text unchanged; "a < b" is not HTML
        ("frage ist a < b?", [], BOT, "frage ist a < b?"),
        ("", [], BOT, ""),
    ],
)
def test_message_text(
    text: str, entities: list[dict[str, Any]], bot: dict[str, str], expected: str
) -> None:
    assert message_text(activity(text, entities, bot))[0] == expected


def test_reports_whether_a_mention_was_removed() -> None:
    assert strip_bot_mention("<at>KI-Assistent</at> x", activity("", [bot_mention()]))[1] is True
    assert strip_bot_mention("x", activity("x"))[1] is False


def test_mention_of_another_bot_id_is_kept() -> None:
    other = {
        "type": "mention",
        "mentioned": {"id": "28:other", "name": "Anderer Bot"},
        "text": "<at>Anderer Bot</at>",
    }
    text, removed = message_text(activity("<at>Anderer Bot</at> hilfe", [other]))
    assert (text, removed) == ("Anderer Bot hilfe", False)


def test_html_and_whitespace_helpers() -> None:
    assert html_to_text("a<br>b<br/>c") == "a\nb\nc"
    assert html_to_text("5 &lt; 6") == "5 < 6"
    assert tidy("  a \u200b b\n\n\n c  ") == "a b\nc"


def test_huge_text_is_handled_fast() -> None:
    text = "<at>KI-Assistent</at> " + "<b>x</b> " * 100_000
    result, removed = message_text(activity(text, [bot_mention()]))
    assert removed and result.startswith("x x") and len(result) == 2 * 100_000 - 1


@pytest.mark.parametrize(
    "fragment",
    ["<at>", "<at ", "<a ", "<b", "\u2000", " \t", "&amp;", "<br>"],
)
def test_normalising_stays_linear(fragment: str) -> None:
    """200 KB of a pathological message under a far guard (tests/support/linear.py): when the
    patterns were quadratic, "<at>" × 5,000 (20 KB) took 0.6 s, 20 KB of U+2000 spaces 1.2 s."""
    text = hostile(fragment)
    failure = ends_in_time(lambda: message_text(activity(text, [bot_mention()])))
    assert not failure, f"{fragment!r} × {len(text) // len(fragment):,}: {failure}"


def test_whitespace_around_line_breaks_still_collapses() -> None:
    assert tidy("a \u2000 \n \u2000\n  b\u2000\u2000c \n") == "a\nb\u2000\u2000c"
    assert tidy("x\n\n\ny") == "x\ny"
