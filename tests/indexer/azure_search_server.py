"""A local stand-in for Azure AI Search: an aiohttp app on 127.0.0.1 answering the REST calls
that `azure-search-documents` really makes (the SDK runs unmodified against it).

Implemented: index create/update/get (`/indexes('name')` and `/indexes/name`), the document
batch (`docs/search.index`: upload, mergeOrUpload, merge, delete; per-item results, 207),
search (`docs/search.post.search`: search text with searchMode all/any and `word~1` fuzzy terms
in queryType full, $filter, $count, facets, highlight with pre/post tags, select, top, skip,
orderby), `docs/$count`. Document keys and field names are validated like the service does.

Vectors as the service has them: `Collection(Edm.Single)` fields need `dimensions` and a
`vectorSearchProfile` of `vectorSearch` (profile → HNSW algorithm); an update may add fields
but not drop or retype one; uploaded vectors must have the field's dimensions; fields with
`retrievable: false` never come back. `vectorQueries` (kind "vector") are answered by exact
cosine k-NN over the stored vectors, with the `$filter` applied before (`preFilter`, the
default) or after (`postFilter`) choosing the k; with text too, the legs are fused by
reciprocal rank fusion like the service (score = Σ weight / (60 + rank)); count and facets
cover the fused set; highlights come from the text leg only.

Text analysis is a stand-in for `de.microsoft` (indexer.analysis stems), good enough to check
what the backend sends. The `$filter` evaluator covers the OData subset the backend emits:
`and`/`or`/`not`, parentheses, `eq ne gt ge lt le` on strings, numbers and dates, `null`,
`coll/any(x: …)` lambdas, `search.in(x, 'a,b', ',')` and `search.ismatch('words', 'fields', …)`.

Fault injection: `service.faults` is a list of `Fault`s consumed in order by matching requests
(whole-request HTTP errors such as 429/503 with Retry-After), and `service.flaky_keys` makes
single documents of a batch fail once with a per-item status (a 207 answer).

Over 400 lines on purpose: one fake service — routes, the OData filter, text and vector legs —
that the real SDK talks to; its parts only make sense together.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from aiohttp import web

from indexer.analysis import fold, stem, words

# Every query scores every stored text again; analysing each text once keeps a fake search over
# a few hundred documents in milliseconds (the vocabulary's word groups multiply the terms).
_words = lru_cache(maxsize=200_000)(lambda text: tuple(words(text)))
_stem = lru_cache(maxsize=200_000)(stem)

_INDEX_PATH = re.compile(r"^/indexes(?:\('(?P<q>[^']+)'\)|/(?P<p>[^/('][^/]*))(?P<rest>/.*)?$")
_KEY_OK = re.compile(r"^[A-Za-z0-9_\-=]+$")
_VECTOR = "Collection(Edm.Single)"
_RRF_K = 60
_MAX_TEXT_RECALL = 1000  # maxTextRecallSize: what the text leg contributes to a fusion


@dataclass
class Fault:
    """Answer the next request whose path ends with `path_suffix` with this status."""

    path_suffix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSearchService:
    api_key: str = "local-test-key"
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    docs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    flaky_keys: dict[str, int] = field(default_factory=dict)  # key -> per-item status, once
    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    # ---- plumbing

    def searches(self) -> list[dict[str, Any]]:
        return [body for method, path, body in self.requests if path.endswith("search.post.search")]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        self.requests.append((request.method, request.path, body))
        if request.headers.get("api-key") != self.api_key:
            return _error(403, "Forbidden: wrong or missing api-key")
        if "api-version" not in request.query:
            return _error(400, "The api-version query parameter (?api-version=) is required")
        for fault in list(self.faults):
            if request.path.endswith(fault.path_suffix):
                self.faults.remove(fault)
                return web.json_response(
                    {"error": {"code": "", "message": f"injected {fault.status}"}},
                    status=fault.status,
                    headers=fault.headers,
                )
        m = _INDEX_PATH.match(request.path)
        if not m:
            return _error(404, f"No route for {request.path}")
        name = m.group("q") or m.group("p")
        rest = m.group("rest") or ""
        if rest == "":
            if request.method == "PUT":
                return self._put_index(name, body)
            if request.method == "GET":
                return self._get_index(name)
            if request.method == "DELETE":
                self.indexes.pop(name, None)
                self.docs.pop(name, None)
                return web.Response(status=204)
        if name not in self.indexes:
            return _error(404, f"The index '{name}' for service 'local' was not found.")
        if rest == "/docs/search.index" and request.method == "POST":
            return self._index_batch(name, body)
        if rest == "/docs/search.post.search" and request.method == "POST":
            return self._search(name, body)
        if rest == "/docs/$count" and request.method == "GET":
            return web.Response(text=str(len(self.docs[name])), content_type="text/plain")
        return _error(404, f"No route for {request.method} {request.path}")

    # ---- indexes

    def _put_index(self, name: str, body: dict[str, Any]) -> web.Response:
        fields = body.get("fields") or []
        keys = [f for f in fields if f.get("key")]
        if len(keys) != 1 or keys[0].get("type") != "Edm.String":
            return _error(400, "An index must have exactly one key field of type Edm.String")
        if body.get("name") != name:
            return _error(400, "The index name in the body does not match the URL")
        problem = _vector_schema_problem(body) or _update_problem(self.indexes.get(name), body)
        if problem:
            return _error(400, problem)
        created = name not in self.indexes
        self.indexes[name] = body
        self.docs.setdefault(name, {})
        return web.json_response(body, status=201 if created else 200)

    def _get_index(self, name: str) -> web.Response:
        if name not in self.indexes:
            return _error(404, f"No index with the name '{name}' was found in the service 'local'.")
        return web.json_response(self.indexes[name])

    def _fields(self, name: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.indexes[name]["fields"]}

    def _key_field(self, name: str) -> str:
        return next(f["name"] for f in self.indexes[name]["fields"] if f.get("key"))

    def _index_batch(self, name: str, body: dict[str, Any]) -> web.Response:
        fields = self._fields(name)
        key_field = self._key_field(name)
        store = self.docs[name]
        results = []
        for action in body.get("value") or []:
            kind = action.get("@search.action", "upload")
            doc = {k: v for k, v in action.items() if not k.startswith("@")}
            key = doc.get(key_field)
            unknown = set(doc) - set(fields)
            if unknown:
                return _error(
                    400,
                    f"The request is invalid. The property '{sorted(unknown)[0]}' does not exist",
                )
            for fname, value in doc.items():
                spec = fields[fname]
                if spec.get("type") == _VECTOR and value is not None:
                    dims = spec.get("dimensions")
                    if not isinstance(value, list) or len(value) != dims:
                        got = len(value) if isinstance(value, list) else type(value).__name__
                        return _error(
                            400,
                            f"The vector field '{fname}' expects {dims} dimensions, got {got}.",
                        )
            if not isinstance(key, str) or not _KEY_OK.match(key) or key.startswith("_"):
                return _error(
                    400,
                    f"Invalid document key: '{key}'. Keys can only contain letters, digits, "
                    "underscore (_), dash (-), or equal sign (=).",
                )
            if key in self.flaky_keys:
                status = self.flaky_keys.pop(key)
                results.append(_item(key, False, status, "Service busy, retry later"))
                continue
            if kind == "delete":
                store.pop(key, None)
                results.append(_item(key, True, 200))
            elif kind in ("upload", "mergeOrUpload"):
                existed = key in store
                store[key] = doc if kind == "upload" else {**store.get(key, {}), **doc}
                results.append(_item(key, True, 200 if existed else 201))
            elif kind == "merge":
                if key not in store:
                    results.append(_item(key, False, 404, "Document not found."))
                else:
                    store[key].update(doc)
                    results.append(_item(key, True, 200))
            else:
                return _error(400, f"Unknown action {kind}")
        status = 200 if all(r["status"] for r in results) else 207
        return web.json_response({"value": results}, status=status)

    # ---- search

    def _search(self, name: str, body: dict[str, Any]) -> web.Response:
        fields = self._fields(name)
        # Vector fields are "searchable" too, but only by vector queries.
        searchable = [
            n for n, f in fields.items() if f.get("searchable") and f.get("type") != _VECTOR
        ]
        store = self.docs[name]
        try:
            keep = compile_filter(str(body["filter"])) if body.get("filter") else _keep_all
        except ValueError as exc:
            return _error(400, f"Invalid expression: {exc}")
        terms = _query_terms(body.get("search") or "*", body.get("queryType") == "full")
        mode_all = body.get("searchMode", "any") == "all"
        scored: list[tuple[float, dict[str, Any]]] = []
        for doc in store.values():
            if not keep(doc):
                continue
            if terms:
                hits = [_term_score(doc, searchable, t) for t in terms]
                matched = [h for h in hits if h > 0]
                if not matched or (mode_all and len(matched) < len(terms)):
                    continue
                scored.append((sum(matched), doc))
            else:
                scored.append((1.0, doc))
        text_keys = {id(d) for _, d in scored}
        vector_queries = body.get("vectorQueries") or []
        if vector_queries:
            key_field = self._key_field(name)
            legs = []
            if body.get("search") is not None:  # a hybrid query: the text leg is one list
                text_leg = sorted(scored, key=lambda sd: (-sd[0], sd[1][key_field]))
                legs.append((1.0, [d for _, d in text_leg[:_MAX_TEXT_RECALL]]))
            for vq in vector_queries:
                found = _knn(vq, fields, store.values(), keep, body.get("vectorFilterMode"))
                if isinstance(found, str):
                    return _error(400, found)
                legs.append((float(vq.get("weight") or 1.0), found))
            scored = _fuse(legs, key_field)
        for clause in reversed((body.get("orderby") or "").split(",")):
            if clause.strip():
                fname, _, direction = clause.strip().partition(" ")
                scored.sort(key=_by_field(fname))
                if direction.strip() == "desc":
                    scored.reverse()
        if not body.get("orderby"):
            key_field = self._key_field(name)
            scored.sort(key=lambda sd: (-sd[0], sd[1][key_field]))
        out: dict[str, Any] = {}
        if body.get("count"):
            out["@odata.count"] = len(scored)
        if body.get("facets"):
            out["@search.facets"] = _facets([d for _, d in scored], body["facets"])
        # $top=0 asks for the count alone; no $top means 50.
        skip, top = int(body.get("skip") or 0), int(50 if body.get("top") is None else body["top"])
        select = [s.strip() for s in (body.get("select") or "").split(",") if s.strip()]
        highlight = [h.strip() for h in (body.get("highlight") or "").split(",") if h.strip()]
        pre, post = body.get("highlightPreTag", "<em>"), body.get("highlightPostTag", "</em>")
        hidden = {n for n, f in fields.items() if f.get("retrievable") is False}
        values = []
        for score, doc in scored[skip : skip + top]:
            item = {k: v for k, v in doc.items() if (not select or k in select) and k not in hidden}
            item["@search.score"] = score
            if highlight and terms and id(doc) in text_keys:
                item["@search.highlights"] = {
                    f: frags
                    for f in highlight
                    if (frags := _highlights(doc.get(f), terms, pre, post))
                }
            values.append(item)
        out["value"] = values
        return web.json_response(out)


# ---------------------------------------------------------------- vectors


def _vector_schema_problem(body: dict[str, Any]) -> str | None:
    config = body.get("vectorSearch") or {}
    algorithms = {a.get("name"): a for a in config.get("algorithms") or []}
    profiles = {p.get("name"): p for p in config.get("profiles") or []}
    for p in profiles.values():
        if p.get("algorithm") not in algorithms:
            return f"The vector profile '{p.get('name')}' names an unknown algorithm."
    for a in algorithms.values():
        if a.get("kind") not in ("hnsw", "exhaustiveKnn"):
            return f"Unknown vector search algorithm kind '{a.get('kind')}'."
    for f in body.get("fields") or []:
        if f.get("type") != _VECTOR:
            continue
        if not isinstance(f.get("dimensions"), int) or not 2 <= f["dimensions"] <= 4096:
            return f"The vector field '{f['name']}' needs dimensions between 2 and 4096."
        if f.get("vectorSearchProfile") not in profiles:
            return f"The vector field '{f['name']}' names an unknown vector search profile."
        if not f.get("searchable"):
            return f"The vector field '{f['name']}' must be searchable."
    return None


def _update_problem(old: dict[str, Any] | None, new: dict[str, Any]) -> str | None:
    """Fields may be added to an existing index, not removed or changed in type or size."""
    if old is None:
        return None
    new_fields = {f["name"]: f for f in new.get("fields") or []}
    for f in old.get("fields") or []:
        now = new_fields.get(f["name"])
        if now is None:
            return f"Existing field(s) '{f['name']}' cannot be removed from the index."
        for prop in ("type", "dimensions", "key"):
            if now.get(prop) != f.get(prop):
                return f"The {prop} of existing field '{f['name']}' cannot be changed."
    return None


def _knn(
    vq: dict[str, Any],
    fields: dict[str, dict[str, Any]],
    docs: Any,
    keep: Pred,
    mode: str | None,
) -> list[dict[str, Any]] | str:
    """The k nearest documents by cosine, filtered before (preFilter) or after (postFilter)."""
    if vq.get("kind") != "vector":
        return f"Vector query kind '{vq.get('kind')}' needs a vectorizer; none is configured."
    name = vq.get("fields") or ""
    spec = fields.get(name)
    if spec is None or spec.get("type") != _VECTOR:
        return f"The field '{name}' is not a vector field of this index."
    query = vq.get("vector") or []
    if len(query) != spec.get("dimensions"):
        return f"The vector query has {len(query)} dimensions; '{name}' has {spec['dimensions']}."
    k = int(vq.get("k") or 50)
    candidates = [d for d in docs if isinstance(d.get(name), list)]
    if (mode or "preFilter") == "preFilter":
        candidates = [d for d in candidates if keep(d)]
    nearest = sorted(candidates, key=lambda d: -_cosine(query, d[name]))[:k]
    if mode == "postFilter":
        nearest = [d for d in nearest if keep(d)]
    return nearest


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _fuse(
    legs: list[tuple[float, list[dict[str, Any]]]], key_field: str
) -> list[tuple[float, dict[str, Any]]]:
    """Reciprocal rank fusion: each list adds weight / (60 + rank) to the documents in it."""
    scores: dict[str, float] = {}
    docs: dict[str, dict[str, Any]] = {}
    for weight, ranked in legs:
        for rank, doc in enumerate(ranked, start=1):
            key = doc[key_field]
            scores[key] = scores.get(key, 0.0) + weight / (_RRF_K + rank)
            docs[key] = doc
    return sorted(
        ((s, docs[k]) for k, s in scores.items()), key=lambda sd: (-sd[0], sd[1][key_field])
    )


# ---------------------------------------------------------------- text stand-in


@dataclass(frozen=True)
class _Term:
    word: str
    stem: str
    fuzzy: bool


def _query_terms(text: str, full: bool) -> list[_Term | _Group]:
    """Words, and `(a | "b c")` / `(a OR "b c")` groups as the real service reads them: a group
    matches where any of its options does, a quoted option where all of its words do."""
    if text.strip() == "*":
        return []
    out: list[_Term | _Group] = []
    for m in re.finditer(r"\(([^)]*)\)|([^\W_]+)(~\d)?", text):
        if m.group(1) is not None:
            options = re.split(r"\s*(?:\||\bOR\b)\s*", m.group(1))
            out.append(_Group(tuple(tuple(_words_of(o, full)) for o in options if o.strip())))
        else:
            w = fold(m.group(2))
            out.append(_Term(word=w, stem=stem(w), fuzzy=full and bool(m.group(3))))
    return out


def _words_of(option: str, full: bool) -> list[_Term]:
    return [
        _Term(word=fold(m.group(1)), stem=stem(fold(m.group(1))), fuzzy=full and bool(m.group(2)))
        for m in re.finditer(r"([^\W_]+)(~\d)?", option)
    ]


@dataclass(frozen=True)
class _Group:
    options: tuple[tuple[_Term, ...], ...]


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _word_matches(w: str, t: _Term) -> bool:
    return _stem(w) == t.stem or (t.fuzzy and _one_edit(w, t.word))


def _term_score(doc: dict[str, Any], fields: list[str], t: _Term | _Group) -> float:
    if isinstance(t, _Group):
        scores = [[_term_score(doc, fields, w) for w in option] for option in t.options]
        return max((sum(s) for s in scores if s and all(s)), default=0.0)
    score = 0.0
    for f in fields:
        for value in _values(doc.get(f)):
            score += sum(1 for w in _words(value) if _word_matches(w, t)) * (
                2 if f == "title" else 1
            )
    return score


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i + 1 : i + 2] + a[i : i + 1] + a[i + 2 :] == b[i:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


def _highlights(value: Any, clauses: list[_Term | _Group], pre: str, post: str) -> list[str]:
    terms = [
        t
        for c in clauses
        for t in ([c] if isinstance(c, _Term) else [w for option in c.options for w in option])
    ]
    frags = []
    for text in _values(value):
        marked = False

        def mark(m: re.Match[str]) -> str:
            nonlocal marked
            w = fold(m.group(0))
            if any(_word_matches(w, t) for t in terms):
                marked = True
                return f"{pre}{m.group(0)}{post}"
            return m.group(0)

        out = re.sub(r"[^\W_]+", mark, text)
        if marked:
            frags.append(out[:400])
    return frags


def _facets(docs: list[dict[str, Any]], specs: list[str]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for spec in specs:
        name, *params = spec.split(",")
        opts = dict(p.split(":", 1) for p in params)
        counts: dict[str, int] = {}
        for d in docs:
            for v in _values(d.get(name)):
                counts[v] = counts.get(v, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[
            : int(opts.get("count", 10))
        ]
        out[name] = [{"value": v, "count": c} for v, c in ordered]
    return out


# ---------------------------------------------------------------- OData $filter subset

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<date>\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][\w./]*)|(?P<punct>[(),:]))"
)
Pred = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unexpected text at {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return raw[1:-1].replace("''", "'")
    if kind == "date":
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if kind == "num":
        return float(raw)
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    raise ValueError(f"not a literal: {raw}")


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ValueError(f"expected {value!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        pred = self.or_expr()
        if self.peek() is not None:
            raise ValueError(f"trailing {self.peek()!r}")
        return pred

    def or_expr(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        parts = [self.and_expr()]
        while self.peek() == ("ident", "or"):
            self.take()
            parts.append(self.and_expr())
        return lambda d, env: any(p(d, env) for p in parts)

    def and_expr(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        parts = [self.unary()]
        while self.peek() == ("ident", "and"):
            self.take()
            parts.append(self.unary())
        return lambda d, env: all(p(d, env) for p in parts)

    def unary(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        if self.peek() == ("ident", "not"):
            self.take()
            inner = self.unary()
            return lambda d, env: not inner(d, env)
        if self.peek() == ("punct", "("):
            self.take("(")
            inner = self.or_expr()
            self.take(")")
            return inner
        kind, name = self.take()
        if kind != "ident":
            raise ValueError(f"expected a field, got {name!r}")
        if name == "search.in":
            return self.search_in()
        if name == "search.ismatch":
            return self.ismatch()
        if name.endswith("/any") or name.endswith("/all"):
            return self.lambda_(name)
        op = self.take()[1]
        if op not in _OPS:
            raise ValueError(f"unknown operator {op!r}")
        lit_kind, lit_raw = self.take()
        value = _literal(lit_kind, lit_raw)
        compare = _OPS[op]
        return lambda d, env: compare(_comparable(_lookup(name, d, env)), _comparable(value))

    def search_in(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        self.take("(")
        name = self.take()[1]
        self.take(",")
        values = _literal(*self.take())
        delimiters = " ,"
        if self.peek() == ("punct", ","):
            self.take(",")
            delimiters = _literal(*self.take())
        self.take(")")
        allowed = set(filter(None, re.split("|".join(map(re.escape, delimiters)), values)))
        return lambda d, env: _lookup(name, d, env) in allowed

    def ismatch(self) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        """search.ismatch('text', 'field,field', 'simple'|'full', 'any'|'all')."""
        self.take("(")
        args = [_literal(*self.take())]
        while self.peek() == ("punct", ","):
            self.take(",")
            args.append(_literal(*self.take()))
        self.take(")")
        text, fields = str(args[0]), str(args[1]).split(",") if len(args) > 1 else []
        terms = _query_terms(text, len(args) > 2 and args[2] == "full")
        mode_all = len(args) > 3 and args[3] == "all"

        def run(d: dict[str, Any], env: dict[str, Any]) -> bool:
            hits = [_term_score(d, fields, t) > 0 for t in terms]
            return all(hits) if mode_all else any(hits)

        return run

    def lambda_(self, name: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
        coll, _, quantifier = name.rpartition("/")
        self.take("(")
        var = self.take()[1]
        self.take(":")
        body = self.or_expr()
        self.take(")")
        agg = any if quantifier == "any" else all

        def run(d: dict[str, Any], env: dict[str, Any]) -> bool:
            return agg(body(d, {**env, var: v}) for v in (d.get(coll) or []))

        return run


def _lookup(name: str, doc: dict[str, Any], env: dict[str, Any]) -> Any:
    return env[name] if name in env else doc.get(name)


def compile_filter(text: str) -> Pred:
    pred = _Parser(text).parse()
    return lambda d: pred(d, {})


# ---------------------------------------------------------------- helpers


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": "", "message": message}}, status=status)


def _item(key: str, ok: bool, status: int, message: str | None = None) -> dict[str, Any]:
    return {"key": key, "status": ok, "errorMessage": message, "statusCode": status}


@asynccontextmanager
async def serve(service: FakeSearchService) -> AsyncIterator[str]:
    """Run the fake on 127.0.0.1 (a free port); yields its http:// endpoint."""
    runner = web.AppRunner(service.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _keep_all(doc: dict[str, Any]) -> bool:
    return True


def _by_field(name: str) -> Callable[[tuple[float, dict[str, Any]]], tuple[bool, Any]]:
    """Sort key for $orderby: documents without the field last, then by its value."""

    def key(scored: tuple[float, dict[str, Any]]) -> tuple[bool, Any]:
        value = scored[1].get(name)
        return (value is None, value or 0)

    return key
