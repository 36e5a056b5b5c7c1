"""Scoring and scheduling on small inventories whose results were worked out by hand.

Net working time 1,600 h = 96,000 min per full-time post (VZÄ). The inventory below:
  name            cases  min  share  effort  class          staffing  potential  score
  Zentrale        19200  10    50     20     keine          2.0       1.0        1.0/20*100*1.0 = 5.0
  Wohngeld         9600  10    50     10     keine          1.0       0.5        0.5/10*100*1.0 = 5.0
  Anwohnerparken   4800  10   100     10     keine          0.5       0.5        5.0
  Elterngeld      19200  10    50     10     Art. 9         2.0       1.0        1.0/10*100*0.4 = 4.0
  Gewerbe          4800  20   100     20     personenbez.   1.0       1.0        1.0/20*100*0.7 = 3.5
  Archiv           1000  30     0      5     keine          0.3125    0          0
Ties at 5.0: Zentrale first (higher potential); Wohngeld and Anwohnerparken tie on score,
potential and effort, so the name decides: Anwohnerparken before Wohngeld, although the
file lists Wohngeld first.
"""

from __future__ import annotations

import pytest

from prioritisation import Source, analyse
from prioritisation.inventory import DataProtectionClass, parse_inventory
from prioritisation.schedule import NoCapacity, Quarter, schedule
from prioritisation.scoring import Parameters, rank

HEADER = (
    "Prozess;Organisationseinheit;Fälle pro Jahr;Minuten pro Fall;Automatisierbarer Anteil (%);"
    "Umsetzungsaufwand (Personentage);Datenschutzklasse;Rechtsgrundlage\n"
)
HAND_CHECKED = HEADER + (
    "Wohngeld;Wohngeldstelle;9600;10;50;10;keine personenbezogenen Daten;\n"
    "Zentrale;Bürgerservice;19200;10;50;20;keine personenbezogenen Daten;\n"
    "Elterngeld;Elterngeldstelle;19200;10;50;10;besondere Kategorien (Art. 9 DSGVO);BEEG\n"
    "Anwohnerparken;Straßenverkehrsbehörde;4800;10;100;10;keine personenbezogenen Daten;\n"
    "Gewerbe;Gewerbeamt;4800;20;100;20;personenbezogen;§ 14 GewO\n"
    "Archiv;Archiv;1000;30;0;5;keine personenbezogenen Daten;\n"
)


def processes(text: str = HAND_CHECKED):
    return parse_inventory(text.encode("utf-8"), "inventar.csv")


def test_ranking_with_ties_is_hand_checked() -> None:
    ranked = rank(processes())
    assert [(s.rank, s.process.name) for s in ranked] == [
        (1, "Zentrale"),
        (2, "Anwohnerparken"),
        (3, "Wohngeld"),
        (4, "Elterngeld"),
        (5, "Gewerbe"),
        (6, "Archiv"),
    ]
    by_name = {s.process.name: s for s in ranked}
    assert by_name["Zentrale"].staffing_fte == pytest.approx(2.0)
    assert by_name["Zentrale"].potential_fte == pytest.approx(1.0)
    assert by_name["Zentrale"].score == pytest.approx(5.0)
    assert by_name["Elterngeld"].score == pytest.approx(4.0)
    assert by_name["Gewerbe"].score == pytest.approx(3.5)
    assert by_name["Archiv"].staffing_fte == pytest.approx(0.3125)
    assert by_name["Archiv"].score == 0


def test_ranking_does_not_depend_on_input_order() -> None:
    lines = HAND_CHECKED.splitlines(keepends=True)
    reversed_text = lines[0] + "".join(reversed(lines[1:]))
    assert [s.process.name for s in rank(processes(reversed_text))] == [
        s.process.name for s in rank(processes())
    ]


def test_quick_wins_need_potential_low_effort_and_low_risk() -> None:
    ranked = rank(processes())
    # Elterngeld has potential and low effort but Art. 9 data; Archiv has no potential.
    assert [s.process.name for s in ranked if s.quick_win] == [
        "Zentrale",
        "Anwohnerparken",
        "Wohngeld",
        "Gewerbe",
    ]
    strict = Parameters(quick_win_max_effort_days=10)
    assert [s.process.name for s in rank(processes(), strict) if s.quick_win] == [
        "Anwohnerparken",
        "Wohngeld",
    ]


def test_net_working_time_is_a_parameter() -> None:
    ranked = rank(processes(), Parameters(net_hours_per_fte=800))
    assert {s.process.name: s.staffing_fte for s in ranked}["Zentrale"] == pytest.approx(4.0)


def test_schedule_fills_quarters_in_rank_order_and_spans_quarters() -> None:
    ranked = rank(processes())
    plan = schedule(ranked, capacity=25, start=Quarter(2027, 1))
    got = {s.candidate.process.name: s.allocation for s in plan.slots}
    assert got == {
        "Zentrale": ((0, 20.0),),
        "Anwohnerparken": ((0, 5.0), (1, 5.0)),  # 5 days left in Q1, the rest in Q2
        "Wohngeld": ((1, 10.0),),
        "Elterngeld": ((1, 10.0),),
        "Gewerbe": ((2, 20.0),),
    }
    assert [s.process.name for s in plan.no_potential] == ["Archiv"]
    assert str(plan.quarter(plan.slots[1].wave)) == "Q1/2027"
    assert str(plan.quarter(plan.slots[1].last_quarter)) == "Q2/2027"
    for q in range(3):  # no quarter is over capacity
        assert sum(d for s in plan.slots for i, d in s.allocation if i == q) <= 25 + 1e-9


def test_candidate_larger_than_a_quarter_spans_several() -> None:
    big = processes(HEADER + "Großprojekt;IT;96000;60;50;60;keine personenbezogenen Daten;\n")
    plan = schedule(rank(big), capacity=25, start=Quarter(2027, 3))
    (slot,) = plan.slots
    assert slot.allocation == ((0, 25.0), (1, 25.0), (2, 10.0))
    assert (str(plan.quarter(0)), str(plan.quarter(2))) == ("Q3/2027", "Q1/2028")


def test_candidates_beyond_the_horizon_are_listed_not_dropped() -> None:
    plan = schedule(rank(processes()), capacity=10, start=Quarter(2027, 1), horizon=3)
    assert [s.candidate.process.name for s in plan.slots] == ["Zentrale", "Anwohnerparken"]
    assert [s.process.name for s in plan.unscheduled] == ["Wohngeld", "Elterngeld", "Gewerbe"]


def test_zero_capacity_gives_a_message_and_no_schedule() -> None:
    with pytest.raises(NoCapacity):
        schedule(rank(processes()), capacity=0, start=Quarter(2027, 1))
    analysis = analyse(processes(), Source.of("x.csv", b"x"), capacity=0)
    assert analysis.plan is None
    assert analysis.plan_message is not None and "Kapazität ist 0" in analysis.plan_message
    assert len(analysis.ranked) == 6  # the ranking is still there


def test_negative_capacity_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        schedule(rank(processes()), capacity=-5, start=Quarter(2027, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2027-Q1", Quarter(2027, 1)), ("Q3/2026", Quarter(2026, 3)), ("2028q4", Quarter(2028, 4))],
)
def test_quarter_parsing(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


def test_quarter_arithmetic() -> None:
    assert Quarter(2026, 4).plus(1) == Quarter(2027, 1)
    from datetime import date

    assert Quarter.after(date(2026, 11, 27)) == Quarter(2027, 1)
    with pytest.raises(ValueError):
        Quarter.parse("2027-Q5")


def test_sample_inventory_is_valid_and_marked_as_sample() -> None:
    from tests.conftest import REPO

    path = REPO / "samples" / "inventory.csv"
    data = path.read_bytes()
    procs = parse_inventory(data, path.name)
    assert 25 <= len(procs) <= 40
    assert "BEISPIELDATEN" in data.decode("utf-8")
    names = " ".join(p.name for p in procs)
    for expected in ("Wohngeld", "Anwohnerparken", "Gewerbeanmeldung", "Ratsprotokolle"):
        assert expected in names
    assert {p.data_protection for p in procs} == set(DataProtectionClass)
