"""The words of a summary: its sections in the order a council member reads them, each point
with the sources and pages it stands on, as plain text.

Here, beside the skill, because the length budget (skills/summary/render.py `fit`) measures
exactly what a reader gets; bot/render/text.py prints `summary_text` and the chat's card
(bot/render/chat_cards.py) draws the same `sections` and `point_line`. Imports no skill module,
so `SkillResult.as_json` can put the text into `kiw summarise --json` without an import cycle.
"""

from __future__ import annotations

from kiw_common.citations import page_label
from kiw_common.wording import count_of
from skills.results import CitedPoint, DocumentSummary

AI_LABEL = "(KI-generiert, bitte prüfen)"
EXTRACT_LABEL = "(Auszug aus den Quellen, nicht KI-formuliert)"


def point_line(point: CitedPoint) -> str:
    """ "Text [1][2] (S. 4–5)": a statement, the sources it rests on and its pages."""
    where = f" ({page_label(point.pages)})" if point.pages else ""
    marks = "".join(f"[{n}]" for n in point.citations)
    return f"{point.text} {marks}{where}".strip()


def sections(summary: DocumentSummary) -> list[tuple[str, list[CitedPoint], bool]]:
    """(heading, points, as a list?) in the order a council member reads them; the chat's card
    (bot/render/chat_cards.py) and the text below show the same."""
    proposal, administration = summary.decision_proposal, summary.administration
    return [
        (proposal.label if proposal else "", [proposal] if proposal else [], False),
        ("Stellungnahme der Verwaltung", [administration] if administration else [], False),
        ("Kernaussagen", list(summary.key_points), True),
        ("Finanzielle Auswirkungen", list(summary.finance), True),
        ("Fristen/Termine", [*summary.consultation, *summary.deadlines], True),
        ("Anlagen", list(summary.attachments), True),
    ]


def summary_text(summary: DocumentSummary, ai: bool) -> str:
    """The summary as plain text, as the CLI prints it and the length budget measures it."""
    lines = [f"Zusammenfassung: {summary.title}", AI_LABEL if ai else EXTRACT_LABEL]
    if summary.note:
        lines.append(summary.note)
    for heading, points, as_list in sections(summary):
        if points:
            lines += ["", f"{heading}:"]
            lines += [f"- {point_line(p)}" if as_list else point_line(p) for p in points]
    more = summary.more_attachments
    if more:
        if not summary.attachments:
            lines += ["", "Anlagen:"]
        lines.append(
            f"- … und {count_of(more, 'weitere Anlage', 'weitere Anlagen')}"
            if summary.attachments
            else f"- {count_of(more, 'Anlage', 'Anlagen')}"
        )
    if summary.results:
        lines += ["", "Ergebnis laut Ratsinformationssystem:"]
        lines += [f"- {r}" for r in summary.results]
    return "\n".join(lines)
