"""„Anträge zu …“ finds every paper of the Antrag family, whatever the council calls its type
(Karlsruhe files budget motions as "Haushalt THH 6600"), over real Karlsruhe papers."""

from __future__ import annotations

from pathlib import Path

from skills import allris_search
from skills.allris_query import family_types
from skills.types import SkillRequest
from tests.skills.helpers import papers, sample_context
from tests.skills.karlsruhe import paper_chunks

# Fahrradstraßen: a budget motion (2025: DHH/2025/6602, "Haushalt THH 6600"), a motion
# (2024/0592/1, "Antrag"), a Beschlussvorlage (2024/0153) and an Informationsvorlage
# (2023/1005).
BUDGET, MOTION, VORLAGE, INFO = 52796, 51122, 50018, 49111


def test_a_family_is_chosen_from_the_types_the_index_has() -> None:
    indexed = {
        "Antrag",
        "Änderungs-/Ergänzungsantrag",
        "Haushalt THH 6600",
        "Haushalt Gesamt",
        "Anfrage",
        "Beschlussvorlage",
        "Informationsvorlage",
        "Sitzung",
    }
    assert family_types(indexed, "Antrag") == (
        "Antrag",
        "Haushalt Gesamt",
        "Haushalt THH 6600",
        "Änderungs-/Ergänzungsantrag",
    )
    assert family_types(indexed, "Änderungsantrag") == ("Änderungs-/Ergänzungsantrag",)
    assert family_types(indexed, "Anfrage") == ("Anfrage",)
    assert family_types(indexed, "Niederschrift") == ()


async def test_antraege_lists_motions_and_budget_motions_but_no_vorlage(tmp_path: Path) -> None:
    extra = paper_chunks(BUDGET, MOTION, VORLAGE, INFO)
    async with sample_context(tmp_path, extra=extra) as ctx:
        motions = await allris_search.run(SkillRequest(text="Anträge zu Fahrradstraßen"), ctx)
        vorlagen = await allris_search.run(
            SkillRequest(text="Informationsvorlagen zu Fahrradstraßen"), ctx
        )
        minutes = await allris_search.run(SkillRequest(text="Niederschriften Fahrradstraßen"), ctx)
    listed = {p.reference: p.paper_type for p in papers(motions)}
    assert listed["DHH/2025/6602"] == "Haushalt THH 6600" and listed["2024/0592/1"] == "Antrag"
    assert set(listed.values()) == {"Antrag", "Haushalt THH 6600"}  # no Vorlage among them
    assert "2023/1005" in [p.reference for p in papers(vorlagen)]
    assert {p.paper_type for p in papers(vorlagen)} == {"Informationsvorlage"}
    # A type the index has none of finds nothing, as asked (no silent widening).
    assert minutes.outcome == "not_found"
