"""The everyday-words vocabulary (indexer/vocabulary.yaml) at query time, in both backends."""

from __future__ import annotations

from pathlib import Path

import yaml

from indexer.azure_search import AzureSearchIndex
from indexer.embedded import EmbeddedIndex
from indexer.model import POLICIES, Chunk, SearchQuery
from indexer.queries import parse_query
from indexer.verbs import match_stem
from indexer.vocabulary import VOCABULARY_FILE, vocabulary
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve


def test_an_everyday_word_carries_the_administrative_words() -> None:
    (word,) = parse_query("Handy").words
    assert ("mobiltelefon",) in word.alternatives
    (word,) = parse_query("Krankmeldung").words
    assert ("arbeitsunfah",) in word.alternatives
    assert vocabulary().terms_of("ChatGPT")[0] == "externe KI-Anwendungen"
    # A two-word everyday phrase: "gelber Schein".
    assert ("arbeitsunfahigkeitsbeschein",) in parse_query("gelber Schein").words[0].alternatives


def test_participles_meet_their_verb() -> None:
    assert match_stem("freigeschaltet") == match_stem("freischalten")
    assert match_stem("abgeschlossen") == match_stem("abschließen")
    assert match_stem("eingegangen") == match_stem("eingehen")  # strong verb, particle
    assert match_stem("eingehen") == "eingeh"  # an infinitive keeps its "ge"
    assert match_stem("vorzulegen") == match_stem("vorlegen")  # "zu" inside a separable verb
    assert match_stem("Auszubildenden") != match_stem("ausbilden")  # a noun, no "zu" infinitive


async def test_embedded_index_finds_the_rule_by_an_everyday_word(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(corpus.ALL_CHUNKS)
    try:
        got = await index.search(SearchQuery(text="Bürgerdaten"))
    finally:
        await index.close()
    assert got.hits and got.hits[0].chunk.doc_id == corpus.POLICY[0].doc_id
    assert "Personenbezogene Daten" in got.hits[0].chunk.text


async def test_azure_query_carries_the_administrative_words() -> None:
    service = FakeSearchService()
    async with serve(service) as endpoint:
        index = AzureSearchIndex(endpoint, service.api_key, "kiw-vocab", item_retry_delay=0.01)
        await index.upsert(corpus.ALL_CHUNKS)
        try:
            got = await index.search(SearchQuery(text="Bürgerdaten"))
        finally:
            await index.close()
    sent = service.searches()[-1]["search"]
    assert sent.startswith("(Bürgerdaten | ") and '"personenbezogene Daten"' in sent
    assert got.hits and got.hits[0].chunk.doc_id == corpus.POLICY[0].doc_id


def test_an_entry_stands_for_the_other_forms_of_its_word() -> None:
    assert vocabulary().terms_of("kontrolliere") == vocabulary().terms_of("kontrollieren") != ()
    (word,) = parse_query("benutzt").words
    assert ("nutz",) in word.alternatives


def test_no_everyday_word_is_listed_twice() -> None:
    # YAML keeps the last of two equal keys without a word: an entry would vanish unseen.
    keys: list[str] = []

    class Recording(yaml.SafeLoader):
        pass

    def record(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
        keys.extend(str(k.value) for k, _ in node.value)
        return loader.construct_mapping(node)

    Recording.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, record)
    yaml.load(
        VOCABULARY_FILE.read_text(encoding="utf-8"), Loader=Recording
    )  # a SafeLoader subclass
    assert len(keys) > 300
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_inflected_forms_the_stemmer_keeps_apart_still_find_the_entry() -> None:
    # stem("problemen") is "problem" but stem("problem") is "probl".
    assert vocabulary().terms_of("Problemen") == vocabulary().terms_of("Problem") != ()
    assert vocabulary().terms_of("Handys") == vocabulary().terms_of("Handy")


def test_the_families_of_the_second_round_reach_the_documents_words() -> None:
    # One word of each family (working time, travel, records, accessibility, procurement).
    assert "Freizeitausgleich" in vocabulary().terms_of("Zeitausgleich")
    assert vocabulary().terms_of("Kilometergeld") == ("Wegstreckenentschädigung",)
    assert "aufbewahren" in vocabulary().terms_of("aufheben")
    assert "Screenreader" in vocabulary().terms_of("Vorleseprogramm")
    assert "Beschaffung" in vocabulary().terms_of("einkaufen")
    # A two-word phrase: "Chat GPT" as people type it.
    (word, _) = parse_query("Chat GPT").words
    assert ("extern", "ki", "anwend") in word.alternatives


async def test_an_everyday_travel_word_finds_the_rule(tmp_path: Path) -> None:
    rule = Chunk(
        id="reise#0",
        doc_id="reise",
        collection=POLICIES,
        title="Richtlinie Dienstreisen",
        text="Die Wegstreckenentschädigung beträgt 30 Cent je gefahrenem Kilometer.",
    )
    other = Chunk(
        id="reise#1",
        doc_id="reise",
        collection=POLICIES,
        title="Richtlinie Dienstreisen",
        text="Übernachtungskosten werden bis 80 Euro erstattet.",
    )
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert([rule, other])
    try:
        got = await index.search(SearchQuery(text="Kilometergeld"))
    finally:
        await index.close()
    assert [h.chunk.id for h in got.hits] == ["reise#0"]
