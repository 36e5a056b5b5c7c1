"""Summaries of real council papers: each pattern from issue 14 on a short real excerpt.

The excerpts are from Karlsruhe papers (../shared/data/karlsruhe, texts as the city's
extractor wrote them, with its `-- n of m --` page markers), trimmed to what each test needs.
Over 400 lines on purpose: one short test per pattern of issue 14, each with its excerpt; a
split by section would scatter the excerpts the patterns share.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.render.chat_cards import result_card
from bot.render.text import result_text
from kiw_common.openai_connection import OpenAIConnection
from skills import summarise
from skills.generator.base import Generator
from skills.generator.openai_chat import OpenAIGenerator
from skills.summary.document import Line, join_lines, sentences
from skills.types import Attachment, SkillRequest, SkillResult
from tests.conftest import REPO
from tests.skills.helpers import sample_context
from tests.skills.openai_server import FakeOpenAI, openai_server

PDF = "application/pdf"
FIXTURES = REPO / "tests" / "fixtures" / "summaries"  # two whole real papers

# 2025/1208: the heading "Beschluss:" and "Antrag an den Gemeinderat" on lines of their own,
# the proposal worded "stimmt … zu", the consultation with a non-public row.
INTERESSENBEKUNDUNG = """Beschlussvorlage
Vorlage Nr.: 2025/1208 Verantwortlich: Dez. 6
Dienststelle: Amt für
Hochbau und
Gebäudewirtschaft
Interessenbekundung im Bundesprogramm „Sanierung kommunaler Sportstätten“,
Projektaufruf 2025/2026
Gremien Termin TOP Ö / N Zuständigkeit
Haupt- und Finanzausschuss 13.01.2026 9 N Vorberatung
Gemeinderat 27.01.2026 9 Ö Entscheidung
Kurzfassung
Für die Antragstellung zur Bezuschussung beim Bundesministerium für Wohnen, Stadtentwicklung
und Bauwesen wird ein Beschluss benötigt, aus dem hervorgeht, dass die Teilnahme am
Interessenbekundungsverfahren durch die Einreichung einer Projektskizze gebilligt wird.

-- 1 of 2 --

– 2 –
Erläuterungen
Der Bund fördert mit dem Programm die Sanierung kommunaler Sportstätten. Die Förderung soll in
der Regel zwischen 250.000 Euro und 8 Millionen Euro liegen. Die Stadt meldet fünf Projekte an,
die mit den Bäderbetrieben abgestimmt sind und deren Planung bereits begonnen hat.
Beschluss:
Antrag an den Gemeinderat
Der Gemeinderat stimmt nach Vorberatung im Haupt- und Finanzausschuss der Anmeldung der fünf
benannten Projekte beim Interessenbekundungsverfahren zu.

-- 2 of 2 --
"""

# 2026/0386: the proposal's second line begins with "Anlage 1 beigefügte …".
SCHUELERBEFOERDERUNG = """Beschlussvorlage
Vorlage Nr.: 2026/0386 Verantwortlich: Dez. 3
Neufassung der Satzung über die Erstattung der notwendigen Beförderungskosten für
Schülerinnen und Schüler (Schülerbeförderungssatzung)
Gremien Termin TOP Ö / N Zuständigkeit
Haupt- und Finanzausschuss 09.06.2026 2 Ö Vorberatung
Gemeinderat 23.06.2026 8 Ö Entscheidung
Erläuterungen
Der Gemeinderat hat am 17. Dezember 2025 im Rahmen der Haushaltsplanung mehrere Maßnahmen
zur Schülerbeförderung beschlossen. Damit mehrere Maßnahmen umgesetzt werden können, muss die
Satzung über die Erstattung der notwendigen Beförderungskosten angepasst werden.
Beschluss:
Antrag an den Gemeinderat
Der Gemeinderat beschließt nach Vorberatung im Haupt- und Finanzausschuss/ Schulausschuss die als
Anlage 1 beigefügte Neufassung der Satzung über die Erstattung der notwendigen
Beförderungskosten für Schülerinnen und Schüler.

-- 1 of 1 --
"""

# DHH/2025/3114: a faction's budget motion on a letterhead, the form's placeholders unfilled.
HAUSHALTSANTRAG = """CDU Gemeinderatsfraktion, Hebelstraße 21, 76133 Karlsruhe
Herrn Oberbürgermeister
Dr. Frank Mentrup
76124 Karlsruhe
00.00.0000
DOPPELHAUSHALT 2026/2027
ANTRAG
DHH/2025/3114
Veränderungen auf der Investitionsliste
Zuordnung im Haushaltsplan
Seite im HH-Plan Teilhaushalt
3100 und 8800
Erhöhung/Reduzierung Erträge, Aufwendungen, Ein- oder Auszahlungen
Bitte aus Liste auswählen
Bitte aus Liste auswählen
Bitte aus Liste auswählen
Sperrvermerk
Verpflichtungsermächtigung
Sonstige Änderungen
Konzeption, Ziele, Maßnahmen, Kennzahlen
Der für das Jahr 2027 in der Investitionsliste angemeldete Mehrbedarf (in Höhe von 5 Millionen Euro auf insg.
20 Millionen Euro) für das Klimaschutzkonzept 2030 wird zurückgenommen. Stattdessen sollen diese investi-
ven Mittel wieder für den zuvor verschobenen Bau von zwei Kitas (Ringelberghohl und Geigersberg) und die
Einrichtung des Ganztagsbetriebs an drei Grundschulen verwendet werden.

-- 1 of 1 --
"""

# 2026/0049: the form's money fields, values on the line below their label, ticked boxes.
MITTAGSVERPFLEGUNG = """Beschlussvorlage
Vorlage Nr.: 2026/0049 Verantwortlich: Dez. 3
Vergabe der Lieferung von Mittagsverpflegung an 20 Schulmensen für das Schuljahr 2026/27
Gremien Termin TOP Ö / N Zuständigkeit
Haupt- und Finanzausschuss 10.02.2026 7 N Vorberatung
Gemeinderat 24.02.2026 4 Ö Entscheidung
Kurzfassung
Der Gemeinderat nimmt - nach Vorberatung im Haupt- und Finanzausschuss - von den Erläuterungen
Kenntnis und stimmt der Vergabe der Lieferung von Mittagsverpflegung an die Schulmensen zu.
Finanzielle Auswirkungen Ja ☒ Nein ☐
☐ Investition
☒ Konsumtive Maßnahme
Gesamtkosten: 2.074.459,38 Euro/Schuljahr
2026/2027
Jährliche/r Budgetbedarf/Folgekosten:
Gesamteinzahlung:
2.367.970,00 Euro / Schuljahr
2026/2027
Jährlicher Ertrag:
Finanzierung
☒ bereits vollständig budgetiert
☐ teilweise budgetiert
CO2-Relevanz: Auswirkung auf den Klimaschutz
Nein ☒ Ja ☐ positiv ☐

-- 1 of 2 --

– 2 –
Erläuterungen
Die Verpflegung an den Schulmensen wird seit dem Schuljahr 2019/2020 von externen Caterern
geliefert. Die bestehenden Verträge laufen zum Ende des Schuljahres 2025/2026 aus und wurden
deshalb europaweit in 15 Losen neu ausgeschrieben. Die Zuschläge sollen auf die wirtschaftlichsten
Angebote erteilt werden, die alle Qualitätskriterien der Ausschreibung erfüllen.

-- 2 of 2 --
"""

# 2026/0451: a body name so long that it wraps onto two lines before the row with its date.
JAHRESABSCHLUSS = """Beschlussvorlage
Vorlage Nr.: 2026/0451 Verantwortlich: Dez. 5
Feststellung des Jahresabschlusses zum 31.12.2024 des Eigenbetriebs Team Sauberes
Karlsruhe
Gremien Termin TOP Ö / N Zuständigkeit
Betriebsausschuss Eigenbetrieb
Abfallwirtschaft und Stadtreinigung
17.07.2026 3 N Vorberatung
Gemeinderat 28.07.2026 22 Ö Entscheidung
Kurzfassung
1. Der Gemeinderat stellt den vom Rechnungsprüfungsamt der Stadt Karlsruhe geprüften und
bestätigten Jahresabschluss 2024 des Eigenbetriebs Team Sauberes Karlsruhe gemäß §16 Abs. 3
Eigenbetriebsgesetz fest. Der Jahresfehlbetrag beträgt hierbei -19.914.336,63 Euro und wird auf
neue Rechnung vorgetragen.

-- 1 of 1 --
"""

# 2026/0229: an Anfrage (its questions) and the Stellungnahme (the administration's answer).
EIGENREINIGUNG = """Interfraktionelle Anfrage
Vorlage Nr.: 2026/0229
Eingang: 19.03.2026
Entwicklung der Eigenreinigungsquote
Interfraktionelle Anfrage: GRÜNE, SPD, Volt, KAL, Die Linke
Gremien Termin TOP Ö / N Zuständigkeit
Gemeinderat 28.04.2026 32 Ö Kenntnisnahme
1. Wie hat sich der Anteil der Eigenreinigung entwickelt seit dem Grundsatzbeschluss des
Gemeinderates von November 2023?
2. Mit welcher zukünftigen Entwicklung des Anteils der Eigenreinigung plant die Stadtverwaltung?
Begründung/Sachverhalt:
Der Gemeinderat hat im November 2023 nach langer, intensiver Diskussion beschlossen, den Anteil der
Eigenreinigung von damals 26 % auf 50 % zu erhöhen. Uns interessiert der aktuelle Stand der
Umsetzung dieses Projektes.

-- 1 of 2 --

Stellungnahme zur Anfrage
Vorlage Nr.: 2026/0229 Verantwortlich: Dez. 6
Entwicklung der Eigenreinigungsquote
Gremien Termin TOP Ö / N Zuständigkeit
Gemeinderat 28.04.2026 32 Ö Kenntnisnahme
1. Wie hat sich der Anteil der Eigenreinigung entwickelt seit dem Grundsatzbeschluss des
Gemeinderates von November 2023?
Der Anteil der Eigenreinigung lag im November 2023 im SOLL bei 26 % (94,58 VZW) und im IST bei
20 % (72,66 VZW). Der IST-Wert hat sich Ende Dezember 2025 auf 17,5 % (63,47 VZW) reduziert.
2. Mit welcher zukünftigen Entwicklung des Anteils der Eigenreinigung plant die Stadtverwaltung?
In den Haushaltsberatungen am 17. Dezember 2025 hat der Gemeinderat entschieden, dass in den
Jahren 2026 und 2027 der Anteil der Eigenreinigung auf dem aktuellen Niveau verbleiben und ab dem
Jahr 2028 der Anteil jährlich um 5 % gesteigert werden soll.
Die tatsächliche Besetzung wird also unter 26 % liegen. Die Verwaltung schlägt vor, bei der
fünfprozentigen Steigerung ab 2028 von der tatsächlichen IST-Besetzung auszugehen.

-- 2 of 2 --
"""


async def summary_of(
    tmp_path: Path, request: SkillRequest, generator: Generator | None = None
) -> SkillResult:
    async with sample_context(tmp_path, generator) as ctx:
        return await summarise.run(request, ctx)


def pdf(pages: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            doc.drawString(40, y, line)
            y -= 14
        doc.showPage()
    doc.save()
    return buffer.getvalue()


def squeezed(text: str) -> str:
    return re.sub(r"[^0-9a-zäöüß]", "", text.casefold())


async def test_a_beschluss_heading_on_its_own_line_starts_the_proposal(tmp_path: Path) -> None:
    data = (await summary_of(tmp_path, SkillRequest(text=INTERESSENBEKUNDUNG))).as_json()
    proposal = data["decision_proposal"]
    assert proposal["text"] == (
        "Der Gemeinderat stimmt nach Vorberatung im Haupt- und Finanzausschuss der Anmeldung "
        "der fünf benannten Projekte beim Interessenbekundungsverfahren zu."
    )
    assert proposal["pages"] == [2] and proposal["label"] == "Beschlussvorschlag"


async def test_a_line_beginning_with_anlage_does_not_cut_the_proposal(tmp_path: Path) -> None:
    data = (await summary_of(tmp_path, SkillRequest(text=SCHUELERBEFOERDERUNG))).as_json()
    assert data["decision_proposal"]["text"].endswith(
        "die als Anlage 1 beigefügte Neufassung der Satzung über die Erstattung der notwendigen "
        "Beförderungskosten für Schülerinnen und Schüler."
    )
    assert data["attachments"] == []  # "Anlage 1 beigefügte …" is a sentence, no Anlage


async def test_letterhead_and_placeholders_are_never_content_nor_repeated(tmp_path: Path) -> None:
    result = await summary_of(tmp_path, SkillRequest(text=HAUSHALTSANTRAG))
    data = result.as_json()
    assert data["betreff"] == "Veränderungen auf der Investitionsliste"
    assert data["decision_proposal"]["label"] == "Antrag"
    assert (
        "für das Klimaschutzkonzept 2030 wird zurückgenommen" in data["decision_proposal"]["text"]
    )
    assert "investiven Mittel" in data["decision_proposal"]["text"]  # "investi-/ven" joined
    for noise in ("Bitte aus Liste", "Hebelstraße", "Oberbürgermeister", "00.00.0000"):
        assert noise not in result_text(result)
    shown = [p["text"] for key in ("finance", "deadlines", "key_points") for p in data[key]]
    assert all(text not in data["decision_proposal"]["text"] for text in shown)


async def test_the_forms_money_fields_reach_finanzen_as_written(tmp_path: Path) -> None:
    data = (await summary_of(tmp_path, SkillRequest(text=MITTAGSVERPFLEGUNG))).as_json()
    finance = [p["text"] for p in data["finance"]]
    assert "Gesamtkosten: 2.074.459,38 Euro/Schuljahr 2026/2027" in finance
    assert "Gesamteinzahlung: 2.367.970,00 Euro / Schuljahr 2026/2027" in finance
    assert "Angekreuzt: Konsumtive Maßnahme; bereits vollständig budgetiert" in finance
    assert all(p["pages"] == [1] for p in data["finance"])
    amounts = set(re.findall(r"\d[\d.,]*(?= ?Euro)", data["summary"]))
    assert amounts <= {"2.074.459,38", "2.367.970,00"}  # no amount that is not in the paper


async def test_a_form_saying_no_money_is_read_as_no_financial_impact(tmp_path: Path) -> None:
    text = INTERESSENBEKUNDUNG.replace(
        "Kurzfassung\n", "Kurzfassung\nFinanzielle Auswirkungen Ja [ ] Nein [x]\n"
    ).replace(
        "Die Förderung soll in\nder Regel zwischen 250.000 Euro und 8 Millionen Euro liegen.", ""
    )
    data = (await summary_of(tmp_path, SkillRequest(text=text))).as_json()
    assert [p["text"] for p in data["finance"]] == ["Laut Formular keine finanziellen Auswirkungen"]
    assert data["finance"][0]["quotes"] == [
        {"page": 1, "text": "Finanzielle Auswirkungen Ja [ ] Nein [x]"}
    ]


async def test_the_consultation_table_gives_body_date_and_publicity(tmp_path: Path) -> None:
    data = (await summary_of(tmp_path, SkillRequest(text=JAHRESABSCHLUSS))).as_json()
    assert [c["text"] for c in data["consultation"]] == [
        "Betriebsausschuss Eigenbetrieb Abfallwirtschaft und Stadtreinigung 17.07.2026 "
        "(Vorberatung, nicht öffentlich, TOP 3)",
        "Gemeinderat 28.07.2026 (Entscheidung, öffentlich, TOP 22)",
    ]
    assert "Fristen/Termine:" in data["summary"]
    assert "-19.914.336,63 Euro" in data["summary"]


async def test_an_anfrage_shows_its_questions_and_the_administrations_answer(
    tmp_path: Path,
) -> None:
    data = (await summary_of(tmp_path, SkillRequest(text=EIGENREINIGUNG))).as_json()
    proposal = data["decision_proposal"]
    assert proposal["label"] == "Fragen der Anfrage" and proposal["pages"] == [1]
    assert proposal["text"].startswith("1. Wie hat sich der Anteil der Eigenreinigung entwickelt")
    assert "2. Mit welcher zukünftigen Entwicklung" in proposal["text"]
    answer = data["administration"]
    assert answer["pages"] == [2]
    assert answer["text"].startswith("Die Verwaltung schlägt vor, bei der fünfprozentigen")


async def test_each_statement_cites_the_page_its_words_are_on(tmp_path: Path) -> None:
    # The first page is short: a passage of the whole file would start there and take the
    # amount on page 2 with it, cited as page 1.
    pages = [
        [
            "Finanzielle Auswirkungen",
            "Für den Umbau des Jugendhauses wurden Fördermittel beim Land beantragt.",
            "Der Bescheid wird im Herbst erwartet.",
        ],
        [
            "Die Gesamtkosten betragen 375.000 Euro und sind im Haushalt 2027 veranschlagt.",
            "Die Stadt trägt davon einen Eigenanteil, der im Finanzhaushalt gebucht wird.",
        ],
    ]
    attachment = Attachment("jugendhaus.pdf", PDF, pdf(pages))
    result = await summary_of(tmp_path, SkillRequest(text="", attachments=(attachment,)))
    money = next(p for p in result.as_json()["finance"] if "375.000 Euro" in p["text"])
    assert money["pages"] == [2]
    assert [q["page"] for q in money["quotes"]] == [2]
    cited = {c.n: c for c in result.citations}
    assert [cited[n].page for n in money["citations"]] == [2]


async def test_line_break_hyphens_are_joined_the_german_way(tmp_path: Path) -> None:
    assert join_lines(["im Haupt-", "und Finanzausschuss"]) == "im Haupt- und Finanzausschuss"
    assert join_lines(["die Verkehrs-", "planung der Stadt"]) == "die Verkehrsplanung der Stadt"
    assert (
        join_lines(["eine Online-", "Beteiligungsplattform"]) == "eine Online-Beteiligungsplattform"
    )
    # Through a PDF: pdfium joins the lines and marks the hyphen itself.
    pages = [
        [
            "Beschlussantrag",
            "Der Gemeinderat beschließt nach Vorberatung im Haupt-",
            "und Finanzausschuss die Fortschreibung der Verkehrs-",
            "planung und die Anschaffung einer Online-",
            "Beteiligungsplattform für die Bürgerbeteiligung.",
            "Begründung",
            "Die bisherige Planung stammt aus dem Jahr 2012 und bildet den Radverkehr",
            "und die neuen Stadtteile nicht mehr ab. Eine Beteiligung im Netz erreicht",
            "mehr Menschen als die bisherigen Abende im Bürgersaal der Stadt.",
        ]
    ]
    attachment = Attachment("verkehr.pdf", PDF, pdf(pages))
    result = await summary_of(tmp_path, SkillRequest(text="", attachments=(attachment,)))
    proposal = result.as_json()["decision_proposal"]["text"]
    assert "im Haupt- und Finanzausschuss" in proposal and "Hauptund" not in result_text(result)
    assert "Verkehrsplanung" in proposal and "Online-Beteiligungsplattform" in proposal


async def test_a_summary_without_a_model_is_labelled_an_extract_on_the_card(
    tmp_path: Path,
) -> None:
    result = await summary_of(tmp_path, SkillRequest(text=MITTAGSVERPFLEGUNG))
    assert result.ai_generated is False
    assert "Auszug aus den Quellen, nicht KI-formuliert" in result_text(result)
    assert "Auszug aus den Quellen, nicht KI-formuliert" in json.dumps(
        result_card(result)[0], ensure_ascii=False
    )


async def test_the_summary_stays_within_40_percent_of_the_paper(tmp_path: Path) -> None:
    for name in ("2026-0049-beschlussvorlage.txt", "2026-0158-antrag-stellungnahme.txt"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        result = await summary_of(tmp_path, SkillRequest(text=text))
        assert result.outcome == "ok" and len(result_text(result)) <= 0.4 * len(text), result_text(
            result
        )
        assert result.as_json()["decision_proposal"] and result.as_json()["consultation"]


def _passages_of(body: dict[str, Any]) -> dict[int, str]:
    """Passage number -> text, as the model was sent them."""
    prompt = "\n".join(str(m["content"]) for m in body["messages"])
    return {
        int(n): text
        for n, text in re.findall(r"<<<QUELLE (\d+)>>>\n(.*?)<<<ENDE QUELLE", prompt, re.DOTALL)
    }


async def test_a_model_words_the_summary_from_the_structure_under_the_same_checks(
    tmp_path: Path,
) -> None:
    def reply(body: dict[str, Any]) -> str:
        passages = _passages_of(body)
        proposal = next(n for n, t in passages.items() if "Beschlussvorschlag" in t.split("\n")[0])
        reasons = next(n for n, t in passages.items() if "in fünfzehn Lose aufgeteilt" in t)
        return json.dumps(
            {
                "key_points": [
                    {"text": "Die Lieferung ist in fünfzehn Lose aufgeteilt.", "cited": [reasons]},
                    {"text": "Die Verpflegung kostet 900.000 Euro mehr.", "cited": [reasons]},
                ],
                "decision_proposal": {
                    "text": "Der Gemeinderat soll der Vergabe an die Caterer zustimmen.",
                    "cited": [proposal],
                },
                "financial_impact": {"text": "Es kostet 5 Millionen Euro.", "cited": [proposal]},
                "deadlines": [],
                "consultation": [],
            },
            ensure_ascii=False,
        )

    paper = (FIXTURES / "2026-0049-beschlussvorlage.txt").read_text(encoding="utf-8")
    async with openai_server(FakeOpenAI(default=reply)) as fake:
        generator = OpenAIGenerator(
            model="test-model", connection=OpenAIConnection(base_url=fake.base_url, on_premise=True)
        )
        result = await summary_of(tmp_path, SkillRequest(text=paper), generator)
        await generator.close()
    data = result.as_json()
    assert result.ai_generated is True and "KI-generiert" in result_text(result)
    assert data["decision_proposal"]["text"] == (
        "Der Gemeinderat soll der Vergabe an die Caterer zustimmen."
    )
    assert data["key_points"] == [
        {
            "label": "",
            "text": "Die Lieferung ist in fünfzehn Lose aufgeteilt.",
            "citations": data["key_points"][0]["citations"],
            "pages": [2],
            "quotes": data["key_points"][0]["quotes"],
        }
    ]
    # An amount the cited passage does not contain never reaches the summary; the money
    # section stays the form's own words.
    assert "900.000" not in result_text(result) and "5 Millionen" not in result_text(result)
    finance = [p["text"] for p in data["finance"]]
    assert "Gesamtkosten: 2.074.459,38 Euro/Schuljahr 2026/2027" in finance
    # Every citation quotes words that stand on the page it names.
    pages = dict(enumerate(re.split(r"-- \d+ of \d+ --", paper), 1))
    for citation in result.citations:
        assert squeezed(citation.quote.rstrip(" …")) in squeezed(pages[citation.page or 0])


def test_a_line_ending_in_a_day_or_an_abbreviation_does_not_end_the_sentence() -> None:
    # 2026/0541, Stellungnahme: "Zum Stichtag 17." / "Juli 2026 stehen …"; 2026/0365/2: "ca."
    lines = [
        Line("priorisierte Maßnahmen gebunden. Zum Stichtag 17.", 5, 0),
        Line("Juli 2026 stehen noch Mittel in Höhe von 105.200,09 Euro zur Verfügung.", 5, 1),
        Line("Die Kosten belaufen sich auf ca.", 6, 2),
        Line("8.000 € für einen Container.", 6, 3),
    ]
    texts = [s.text for s in sentences(lines)]
    assert texts[1:] == [
        "Zum Stichtag 17. Juli 2026 stehen noch Mittel in Höhe von 105.200,09 Euro zur Verfügung.",
        "Die Kosten belaufen sich auf ca. 8.000 € für einen Container.",
    ]
    assert [q.page for q in sentences(lines)[2].quotes] == [6]


async def test_the_main_document_comes_first_then_one_line_per_anlage(tmp_path: Path) -> None:
    vorlage = SCHUELERBEFOERDERUNG.replace("-- 1 of 1 --", "-- 1 of 4 --")
    anlagen = (
        "Anlage 1\nSatzung\nzur Erstattung der notwendigen Beförderungskosten\n"
        "§ 1 Die Stadt erstattet die notwendigen Beförderungskosten.\n\n-- 2 of 4 --\n\n"
        "§ 2 Notwendig sind die Kosten der günstigsten zumutbaren Verbindung.\n"
        + "§ 3 Der Antrag ist bis zum Ende des Schuljahres bei der Schule zu stellen.\n"
        * 20
        + "\n-- 3 of 4 --\n\n"
        "1\nAnlage 2\nSynopse der Änderungen gegenüber der bisherigen Satzung\n"
        "Die Tabelle stellt die alte und die neue Fassung nebeneinander.\n\n-- 4 of 4 --\n"
    )
    data = (await summary_of(tmp_path, SkillRequest(text=vorlage + "\n" + anlagen))).as_json()
    assert [(a["text"], a["pages"]) for a in data["attachments"]] == [
        ("Anlage 1 Satzung zur Erstattung der notwendigen Beförderungskosten (2 Seiten)", [2]),
        ("Anlage 2 Synopse der Änderungen gegenüber der bisherigen Satzung", [4]),
    ]
    assert data["decision_proposal"]["pages"] == [1]
    assert data["summary"].index("Beschlussvorschlag:") < data["summary"].index("Anlagen:")
