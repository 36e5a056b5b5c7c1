"""How a search request becomes a tantivy query in the embedded index.

Filters (the caller's access first, then collection, paper type or a set of types, organisation,
document, dates)
are constant-score clauses that never change a rank. The words match in the title (counted
double), the body, and as compound parts; an unknown compound also matches through its parts,
an everyday word through the administrative term it stands for (indexer/vocabulary.yaml), and a
word the index does not know with one edit. A paper reference outranks every word. The order in
which a query is tried (all words, then typos, then any word) is indexer/embedded_search.py's.
"""

from __future__ import annotations

from collections.abc import Iterable

import tantivy

from indexer.analysis import fold_key, stems
from indexer.compounds import Decompounder
from indexer.embedded_schema import as_datetime
from indexer.model import PUBLIC, SearchQuery
from indexer.queries import ParsedQuery, QueryWord
from indexer.snippets import Highlighter

# Boosts: a title match counts double, a compound-part match a little less than the word.
_TITLE_BOOST = 2.0
_PART_BOOST = 0.7
_SPLIT_BOOST = 0.8
_ALTERNATIVE_BOOST = 0.8  # an administrative word for an everyday one (vocabulary.yaml)
_REF_BOOST = 20.0
_FUZZY_BOOST = 0.5
_WORD_FIELDS = ("title_terms", "body_terms", "part_terms")


class QueryClauses:
    """Builds the clauses of one index's queries; `parts` splits query compounds with the
    index's own vocabulary (its answers are cleared when the index changes)."""

    def __init__(self, schema: tantivy.Schema, parts: Decompounder) -> None:
        self._schema = schema
        self.parts = parts

    def term(self, field: str, value: str) -> tantivy.Query:
        """A scored term (with term frequencies)."""
        return tantivy.Query.term_query(self._schema, field, value, index_option="freq")

    def raw_term(self, field: str, value: str) -> tantivy.Query:
        """A keyword field's exact value."""
        return tantivy.Query.term_query(self._schema, field, value)

    def any_of(self, field: str, values: list[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self._schema, field, values)

    def access_filter(self, access: Iterable[str]) -> tantivy.Query:
        """Security trimming: the chunk's `access` meets the caller's groups (public always)."""
        groups = sorted({PUBLIC, *access})
        return tantivy.Query.const_score_query(self.any_of("access", groups), 0.0)

    def filters(self, q: SearchQuery) -> list[tantivy.Query]:
        out = [self.access_filter(q.access)]
        if q.collection:
            out.append(self.raw_term("collection", q.collection))
        if q.paper_type:
            out.append(self.raw_term("type_key", fold_key(q.paper_type)))
        if q.paper_types:  # any of them: a family of types
            out.append(self.any_of("type_key", sorted({fold_key(t) for t in q.paper_types})))
        if q.organization:
            out.append(self._organization(q.organization))
        if q.doc_id:
            out.append(self.raw_term("doc_id", q.doc_id))
        if q.date_from or q.date_to:
            out.append(
                tantivy.Query.range_query(
                    self._schema,
                    "date",
                    tantivy.FieldType.Date,
                    as_datetime(q.date_from) if q.date_from else tantivy.MIN_DATETIME,
                    as_datetime(q.date_to) if q.date_to else tantivy.MAX_DATETIME,
                )
            )
        return [tantivy.Query.const_score_query(f, 0.0) for f in out]

    def _organization(self, name: str) -> tantivy.Query:
        """The exact name, or all its words ("Grüne" matches "Fraktion Bündnis 90/Die Grünen")."""
        exact = self.raw_term("org_key", fold_key(name))
        org_words = [
            tantivy.Query.term_query(self._schema, "org_terms", w, index_option="basic")
            for w in dict.fromkeys(stems(name))
        ]
        if not org_words:
            return exact
        every = tantivy.Query.boolean_query([(tantivy.Occur.Must, w) for w in org_words])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, exact), (tantivy.Occur.Should, every)]
        )

    def match_query(
        self,
        parsed: ParsedQuery,
        filters: list[tantivy.Query],
        *,
        fuzzy: frozenset[str],
        any_word: bool,
    ) -> tantivy.Query:
        """`fuzzy`: the query words (folded) that also match with one edit."""
        clauses = self._reference_clauses(parsed) + [
            self._word_clause(w, w.word in fuzzy) for w in parsed.words
        ]
        occur = tantivy.Occur.Should if any_word else tantivy.Occur.Must
        matching = tantivy.Query.boolean_query([(occur, c) for c in clauses])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, matching)] + [(tantivy.Occur.Must, f) for f in filters]
        )

    def unknown_word(self, searcher: tantivy.Searcher, word: QueryWord) -> bool:
        """Neither the word nor its compound parts occur in the index: maybe a typo."""
        if any(searcher.doc_freq(f, word.stem) for f in _WORD_FIELDS):
            return False
        return not self.parts.parts(word.word)

    def highlighter(self, parsed: ParsedQuery, fuzzy: frozenset[str]) -> Highlighter:
        wanted = {w.stem for w in parsed.words}
        for w in parsed.words:
            wanted.update(self.parts.parts(w.word))
        return Highlighter(wanted, fuzzy)

    def _word_clause(self, word: QueryWord, fuzzy: bool) -> tantivy.Query:
        s = word.stem
        variants: list[tantivy.Query] = [
            tantivy.Query.boost_query(self.term("title_terms", s), _TITLE_BOOST),
            self.term("body_terms", s),
            tantivy.Query.boost_query(self.term("part_terms", s), _PART_BOOST),
        ]
        parts = self.parts.parts(word.word)
        if parts:
            # "Radverkehrsförderung" also matches a chunk that has both parts as words.
            each = [self._any_field(p) for p in parts[:2]]
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Must, e) for e in each]),
                    _SPLIT_BOOST,
                )
            )
        for alternative in word.alternatives:
            # An everyday word also finds the administrative term it stands for
            # ("Handy" -> "Mobiltelefon"), slightly below the word itself.
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query(
                        [(tantivy.Occur.Must, self._any_field(s)) for s in alternative]
                    ),
                    _ALTERNATIVE_BOOST,
                )
            )
        if fuzzy and len(word.word) >= 5 and word.word.isalpha():
            # One edit (a swap counts as one): the usual typo; distance 2 costs 5-10x more.
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.fuzzy_term_query(
                        self._schema, "word_terms", word.word, distance=1
                    ),
                    _FUZZY_BOOST,
                )
            )
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, v) for v in variants])

    def _any_field(self, stem: str) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, self.term(field, stem)) for field in _WORD_FIELDS]
        )

    def _reference_clauses(self, parsed: ParsedQuery) -> list[tantivy.Query]:
        out = []
        for key in parsed.references:
            variants = [
                tantivy.Query.boost_query(self.raw_term("ref", key.full), _REF_BOOST * 1.5),
                tantivy.Query.boost_query(self.raw_term("ref", key.core), _REF_BOOST),
                tantivy.Query.boost_query(self.raw_term("ref_family", key.family), _REF_BOOST / 4),
            ]
            out.append(tantivy.Query.boolean_query([(tantivy.Occur.Should, v) for v in variants]))
        return out
