"""`kiw search/ask/summarise --audience USER…`: what a channel of these members would be shown.

In-process through `kiw`'s main(), on the sample corpus and the sample directory; the internal
paper (samples/council/gruene-intern-klausur.md) is readable by the Grünen only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.audience_kit import SECRET_MARKERS
from tests.bot.cli.conftest import KiwRun

DIRK = "dirk.moeller@luebeck.de"  # fraktion-gruene
ALEX = "alexw@example.com"  # fraktion-gruene, ausschuss-bau
EVA = "eva.schulz@luebeck.de"  # fraktion-cdu
QUERY = "Kompromisslinie Radverkehrsbudget Klausurvorlage"


pytestmark = pytest.mark.usefixtures("sample_env")


def leaked(text: str) -> list[str]:
    return [m for m in SECRET_MARKERS if m in text]


def test_search_for_an_audience_shows_what_all_members_may_read(
    sample_data: Path, kiw: KiwRun
) -> None:
    code, out, err = kiw(sample_data, "search", QUERY, "--audience", DIRK, ALEX, "--json")
    assert code == 0
    assert leaked(out)  # a Grünen-only chat may read the faction's paper
    assert "Audience of 2: documents of fraktion-gruene, public." in err

    code, out, err = kiw(sample_data, "search", QUERY, "--audience", DIRK, ALEX, EVA, "--json")
    assert code == 0 and not leaked(out)
    assert "Audience of 3: documents of public." in err
    assert "withheld" not in err  # the operator stands in for the audience: nothing more to see


def test_search_as_a_user_in_a_mixed_audience_notes_the_withheld(
    sample_data: Path, kiw: KiwRun
) -> None:
    args = ["search", QUERY, "--user", DIRK, "--json"]
    code, out, err = kiw(sample_data, *args, "--audience", DIRK, EVA)
    assert code == 0 and not leaked(out)
    assert "Some results were withheld" in err
    code, alone, _ = kiw(sample_data, *args)
    assert leaked(alone)  # control: Dirk alone finds it


def test_an_unknown_member_means_public_only(sample_data: Path, kiw: KiwRun) -> None:
    code, out, err = kiw(sample_data, "search", QUERY, "--audience", DIRK, "nobody@luebeck.de")
    assert code == 0 and not leaked(out)
    assert "public documents only (a member is not in the directory)" in err


def test_ask_and_summarise_for_an_audience(sample_data: Path, kiw: KiwRun) -> None:
    question = ["ask", "Welche Kompromisslinie gilt für das Radverkehrsbudget 2027?"]
    question += ["--collection", "council", "--user", DIRK, "--json"]
    code, out, err = kiw(sample_data, *question, "--audience", DIRK, EVA)
    assert code == 0 and not leaked(out)
    assert "Some results were withheld" in err
    code, own, _ = kiw(sample_data, *question, "--audience", DIRK, ALEX)
    assert code == 0 and leaked(own)

    summary = ["summarise", "GR-INTERN/2026/07", "--json"]
    code, out, _ = kiw(sample_data, *summary, "--audience", DIRK, EVA)
    assert code == 1 and not leaked(out)
    assert json.loads(out)["error"] == "not_found"
    code, own, _ = kiw(sample_data, *summary, "--audience", DIRK, ALEX)
    assert code == 0 and leaked(own)
