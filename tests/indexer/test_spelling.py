"""Spelling correction against the documents' words (indexer/spelling.py), the word store
beside the index (indexer/corpus_words.py), and both backends correcting their queries."""

from __future__ import annotations

from pathlib import Path

from indexer.analysis import fold
from indexer.azure_search import AzureSearchIndex
from indexer.corpus_words import STORE_FILE, CorpusWords
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, POLICIES, PUBLIC, Chunk, SearchQuery
from indexer.spelling import Spelling
from tests.indexer import search_corpus as corpus
from tests.indexer.azure_search_server import FakeSearchService, serve

# Words of a rule document as a collection would count them (chunks using each word).
RULE_WORDS = {
    "barrierefreiheit": 6,
    "barriere": 2,
    "freiheit": 1,
    "barrierefrei": 9,
    "dokumente": 12,
    "dokument": 8,
    "pflicht": 4,
    "nichtoeffentlichen": 2,
    "abbau": 1,
    "kasse": 1,  # rare, and one edit from a frequent word
    "klasse": 30,
    "stellen": 7,
    "stehlen": 2,
    "karten": 3,
    "ausnahmen": 2,
    "gebaerdensprache": 1,
    "jahr": 5,
    "urlaub": 3,
    "arbeitszeit": 4,
}


def correction(word: str, counts: dict[str, int] | None = None) -> str | None:
    return Spelling(counts or RULE_WORDS).correction(fold(word))


def test_a_typo_becomes_the_documents_word() -> None:
    assert correction("Barrierfreiheit") == "barrierefreiheit"  # a letter missing
    assert correction("barierefrei") == "barrierefrei"  # a doubled letter typed once
    assert correction("Dokumnete") == "dokumente"  # two letters swapped
    assert correction("Plicht") == "pflicht"
    assert correction("nichtöffentichen") == "nichtoeffentlichen"  # folded like the index
    # Two edits in a long word, one in a short one only.
    assert correction("Barierfreiheit") == "barrierefreiheit"
    assert correction("Dokmnte") is None


def test_a_compound_with_one_misspelt_part() -> None:
    # "Stellenabbau" is no word of the documents, "Stellen" and "Abbau" are.
    assert correction("Stellenabau") == "stellenabbau"
    assert correction("Arbeitszeitn") == "arbeitszeit"  # the whole word is one edit away


def test_a_everyday_word_of_the_vocabulary_is_a_target_too() -> None:
    # vocabulary.yaml: übersetzungsprogramm -> Übersetzungsdienste
    assert correction("Übersetzungsprogram") == "uebersetzungsprogramm"


def test_known_words_are_never_corrected() -> None:
    assert correction("Kasse") is None  # a rare word the documents use: not "Klasse"
    assert correction("Gebärdensprache") is None
    assert correction("Dokumenten") is None  # its stem is known (inflection)
    assert correction("Jahresurlaub") is None  # all its parts are known
    assert correction("Homeoffice") is None  # an everyday word of the vocabulary
    assert correction("wieviele") is None  # a question word
    assert correction("Kantine") is None  # unknown, but nothing is close
    assert correction("Stat") is None  # four letters: too many neighbours


def test_ties_go_to_the_more_frequent_word() -> None:
    assert correction("Stelen") == "stellen"
    assert correction("Stelen", {**RULE_WORDS, "stehlen": 40}) == "stehlen"


def test_another_word_is_no_typo() -> None:
    # Words outside the documents that differ from theirs where other words differ: in the
    # first letter ("warten"/"Karten"), or by a replaced letter in a short word.
    assert correction("warten") is None
    assert correction("Kasten") is None  # not "Karten"
    assert correction("Aufnahmn") is None  # no near word at all


def test_corrected_text_keeps_everything_else() -> None:
    spelling = Spelling(RULE_WORDS)
    text = "Gilt die Plicht für barierefrei Dokumnete? ki-werkstatt@luebeck.de, www.plicht.de"
    assert spelling.corrected(text) == (
        "Gilt die Pflicht für barrierefrei Dokumente? ki-werkstatt@luebeck.de, www.plicht.de"
    )
    assert Spelling({}).corrected("Plicht") == "Plicht"  # an empty index corrects nothing


def _chunk(n: int, text: str, collection: str = POLICIES, doc: str = "a") -> Chunk:
    return Chunk(id=f"{doc}#{n}", doc_id=doc, collection=collection, title="Regel", text=text)


def test_the_store_counts_per_collection_and_forgets_replaced_words(tmp_path: Path) -> None:
    store = CorpusWords(tmp_path)
    store.record([_chunk(0, "Die Pflicht gilt."), _chunk(1, "Keine Pflicht für Dokumente.")])
    store.record([_chunk(0, "Ratsbeschluss", COUNCIL, doc="c")])
    assert store.spelling(POLICIES).counts["pflicht"] == 2
    # A word of another collection is a German word, no typo: never corrected, no target.
    assert store.spelling(POLICIES).correction("ratsbeschluss") is None
    assert store.spelling(POLICIES).correction("ratsbeschlus") is None
    assert store.spelling(COUNCIL).correction("ratsbeschlus") == "ratsbeschluss"
    assert "ratsbeschluss" not in store.spelling(POLICIES).counts
    assert store.spelling(None).counts["ratsbeschluss"] == 1
    # A chunk written again counts its new words only.
    store.record([_chunk(1, "Keine Vorgabe für Dokumente.")])
    assert store.spelling(POLICIES).counts["pflicht"] == 1
    assert store.spelling(POLICIES).correction("vorgbe") == "vorgabe"
    assert store.spelling(POLICIES).correction("vrogbe") is None  # six letters, two edits
    store.delete_documents(["a"])
    assert "pflicht" not in store.spelling(POLICIES).counts
    store.close()
    # Kept on disk: another process reads the same counts.
    again = CorpusWords(tmp_path)
    assert again.spelling(COUNCIL).counts == {"ratsbeschluss": 1, "regel": 1}  # with its title
    again.close()


async def test_embedded_search_corrects_a_typo_in_its_collection(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(corpus.ALL_CHUNKS)
    try:
        fixed = await index.corrected("Förderung des Radverkers", COUNCIL, frozenset({PUBLIC}))
        # Only the council papers speak of Radverkehr: the rules have no such word to offer.
        unchanged = await index.corrected("Förderung des Radverkers", POLICIES, frozenset({PUBLIC}))
        got = await index.search(SearchQuery(text="Radverkers Innenstadt", collection=COUNCIL))
    finally:
        await index.close()
    assert fixed == "Förderung des Radverkehrs"
    assert unchanged == "Förderung des Radverkers"
    assert got.hits and got.hits[0].chunk.doc_id == corpus.RAD_ANTRAG[0].doc_id


async def test_an_index_built_before_the_store_gets_its_words(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path / "index")
    await index.upsert(corpus.ALL_CHUNKS)
    await index.close()
    (tmp_path / "index" / STORE_FILE).unlink()
    index = EmbeddedIndex(tmp_path / "index")
    try:
        assert (
            await index.corrected("Radverkers", COUNCIL, frozenset({PUBLIC})) == "Radverkers"
        )  # nothing known
        await index.embed_pending()  # what `kiw index` runs after writing
        assert await index.corrected("Radverkers", COUNCIL, frozenset({PUBLIC})) == "Radverkehrs"
    finally:
        await index.close()


async def test_azure_query_carries_the_corrected_word(tmp_path: Path) -> None:
    service = FakeSearchService()
    async with serve(service) as endpoint:
        index = AzureSearchIndex(
            endpoint, service.api_key, "kiw-spelling", item_retry_delay=0.01, words_folder=tmp_path
        )
        await index.upsert(corpus.ALL_CHUNKS)
        try:
            got = await index.search(SearchQuery(text="Radverkers Innenstadt"))
            await index.delete_documents([corpus.RAD_ANTRAG[0].doc_id])
            after = await index.corrected("Fahrradstrasen", COUNCIL, frozenset({PUBLIC}))
        finally:
            await index.close()
    sent = [s["search"] for s in service.searches()]
    assert sent[0] == "Radverkehrs Innenstadt"  # the first, exact attempt already corrected
    assert got.hits and got.hits[0].chunk.doc_id == corpus.RAD_ANTRAG[0].doc_id
    # The deleted paper's words are gone from the store: "Fahrradstraßen" stood only there.
    assert after == "Fahrradstrasen"
