"""The paper an ALLRIS link names, among what the caller may read: the one lookup behind a
pasted link in a search, a summary request and an unfurled link in Teams.

A link names a paper by its OParl URL (the document id of the index; some ALLRIS servers
publish it under both `/ris/oparl/` and `/oparl/`), else by ALLRIS's own row ids in it
(`vo020.asp?VOLFDNR=1664`, which the index keeps), by a reference in it, or by a
reference-like value of its query string. A paper the caller may not read is not found, exactly
like one that does not exist.
"""

from __future__ import annotations

from indexer.model import Chunk, SearchIndex
from kiw_common.references import TYPED_REFERENCE, link_lookup_values, written_form


def _document_ids(url: str) -> list[str]:
    return list(dict.fromkeys([url, url.replace("/ris/oparl/", "/oparl/")]))


def _lookup_values(url: str) -> list[str]:
    # The link itself first: find_reference reads row ids and a written reference in it.
    typed = TYPED_REFERENCE.search(url)
    values = [url, *([written_form(typed)] if typed else []), *link_lookup_values(url)]
    return list(dict.fromkeys(values))


async def chunks_for_link(index: SearchIndex, url: str, access: frozenset[str]) -> list[Chunk]:
    """All chunks of the paper `url` names, in reading order, or [] if none is visible."""
    for doc_id in _document_ids(url):
        chunks = await index.document_chunks(doc_id, access)
        if chunks:
            return chunks
    for value in _lookup_values(url):
        found = await index.find_reference(value, access)
        chunks = await index.document_chunks(found, access) if found else []
        if chunks:
            return chunks
    return []
