"""One HTML-to-text rule for chat and for indexed pages (kiw_common/html_text.py).

The paragraph below is the real text of an ALLRIS Antrag of the Hansestadt Lübeck
(../shared/seed, "Konzept zur Nutzung Künstlicher Intelligenz in der Stadtverwaltung"); the
markup around it is the kind ALLRIS and Teams write: `<br>` between the numbered points,
`<b>` inside a sentence. (../shared/data holds no ALLRIS page as HTML, only OParl JSON.)

Before there were two rules. The indexer's (BeautifulSoup, structure kept) turned every `<br>`
outside a `<p>` into an empty line, i.e. a paragraph break for the chunker, made a line of
its own of every bold word, and inside a `<p>` dropped the `<br>` so the numbered points ran
into one line. Chat's (regular expressions, linear) did what a browser shows: `<br>` ends a
line, bold words stay in their sentence. That is the rule both now follow.
"""

from __future__ import annotations

import json

import pytest

from bot.plain_text import plain_text
from indexer.extract import extract
from kiw_common.html_text import html_to_text
from tests.conftest import REPO

ANTRAG = (
    "<div class='docPart'><b>Antrag:</b><br>"
    "Der Bürgermeister wird beauftragt mit der <b>zügigen</b> Entwicklung und Umsetzung "
    "eines verantwortungsvollen Konzepts zur Nutzung von Künstlicher Intelligenz (KI) in der "
    "Stadtverwaltung Lübeck.<br><br>"
    "1. Dienstvereinbarung zur KI-Nutzung:<br>"
    "Erstellung einer verbindlichen Regelung zur Anwendung von KI-gestützten Tools "
    "(z.B. ChatGPT, CoPilot, etc.) unter Einbeziehung von Datenschutz, Personalvertretung "
    "und IT.<br><br>"
    "2. &bdquo;KI-Pass&ldquo; f&uuml;r Mitarbeiterinnen und Mitarbeiter:<br>"
    "Einf&uuml;hrung eines Fortbildungs- und Freigabeverfahrens f&uuml;r die sichere Nutzung "
    "von KI in der Verwaltung.</div>"
)
ANTRAG_LINES = [
    "Antrag:",
    "Der Bürgermeister wird beauftragt mit der zügigen Entwicklung und Umsetzung eines "
    "verantwortungsvollen Konzepts zur Nutzung von Künstlicher Intelligenz (KI) in der "
    "Stadtverwaltung Lübeck.",
    "",
    "1. Dienstvereinbarung zur KI-Nutzung:",
    "Erstellung einer verbindlichen Regelung zur Anwendung von KI-gestützten Tools (z.B. "
    "ChatGPT, CoPilot, etc.) unter Einbeziehung von Datenschutz, Personalvertretung und IT.",
    "",
    "2. „KI-Pass“ für Mitarbeiterinnen und Mitarbeiter:",
    "Einführung eines Fortbildungs- und Freigabeverfahrens für die sichere Nutzung von KI in "
    "der Verwaltung.",
]


def test_br_ends_a_line_and_inline_markup_stays_in_its_sentence() -> None:
    assert html_to_text(ANTRAG).split("\n") == ANTRAG_LINES
    # The same inside a <p>: the numbered points keep their own lines.
    assert html_to_text(f"<p>{ANTRAG}</p>").split("\n") == ANTRAG_LINES


def test_the_indexer_and_the_chat_read_the_same_lines() -> None:
    page = extract(f"<html><body>{ANTRAG}</body></html>".encode(), mime_type="text/html")
    assert page.pages[0].text.split("\n") == ANTRAG_LINES
    # Chat keeps no empty lines (one message, no chunks), otherwise the same words and lines.
    assert plain_text(ANTRAG).split("\n") == [line for line in ANTRAG_LINES if line]


def test_a_recorded_teams_message() -> None:
    recorded = json.loads(
        (REPO / "tests/fixtures/teams/groupchat-message-mention-html.json").read_text("utf-8")
    )
    text = recorded["text"]
    assert plain_text(text) == "KI-Assistent frage Darf ich Copilot für Protokolle nutzen?"


def test_structure_is_marked_for_the_indexer_only() -> None:
    markup = (
        "<h3>frage Wie lange gilt der KI-Pass?</h3><ul><li>eins</li><li>zwei</li></ul>"
        "<table><tr><th>Frist</th><th>Tage</th></tr><tr><td>Widerspruch</td><td>30</td></tr>"
        "</table>"
    )
    assert html_to_text(markup).split("\n") == [
        "### frage Wie lange gilt der KI-Pass?",
        "",
        "- eins",
        "- zwei",
        "",
        "Frist | Tage",
        "Widerspruch | 30",
    ]
    # A heading typed in Teams' formatting bar is still the command.
    assert plain_text(markup).split("\n") == [
        "frage Wie lange gilt der KI-Pass?",
        "eins",
        "zwei",
        "Frist | Tage",
        "Widerspruch | 30",
    ]


def test_scripts_chrome_comments_and_escaped_tags() -> None:
    page = (
        "<!doctype html><html><head><title>T</title><script>var a = '<p>x</p>';</script>"
        "<style>p { color: red }</style></head><body><nav><a href='/'>Start</a></nav>"
        "<!-- <p>versteckt</p> --><p>Der Rat   beschließt\n  einstimmig.</p>"
        "<p>&lt;b&gt; bleibt Text</p><footer>Impressum</footer></body></html>"
    )
    assert html_to_text(page) == "T\n\nDer Rat beschließt einstimmig.\n\n<b> bleibt Text"
    # A script without its end swallows the rest, as in a browser; unclosed chrome is read.
    assert html_to_text("<p>vorher</p><script>alert(1)") == "vorher"
    assert html_to_text("<nav>Menü<p>Inhalt</p>") == "Menü\n\nInhalt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zeile eins\nZeile zwei", "Zeile eins\nZeile zwei"),  # no markup: kept as it is
        ("5 &lt; 6 und 7 > 3", "5 < 6 und 7 > 3"),
        ("a < b <c", "a < b <c"),  # a "<" that opens no tag is text
        ("<b>fett", "fett"),
    ],
)
def test_text_that_is_not_markup(text: str, expected: str) -> None:
    assert html_to_text(text) == expected
