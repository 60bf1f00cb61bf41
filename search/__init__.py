"""The search index of the pool: one interface, an embedded backend (default) and Meilisearch.

The index is a projection of the ledger; this package knows nothing of the database and receives
plain documents (see ``market.pool.documents``).
"""

from __future__ import annotations

import os

from .base import SearchBackend, SearchError, SearchQuery, SearchResult
from .fields import FACET_FIELDS
from .text import default_synonyms, load_synonyms

__all__ = ["FACET_FIELDS", "SearchBackend", "SearchError", "SearchQuery", "SearchResult", "default_synonyms",
           "load_synonyms", "open_backend"]


def open_backend(kind: str = "embedded", path: str | os.PathLike | None = None, url: str | None = None,
                 api_key: str | None = None, index_name: str = "pool") -> SearchBackend:
    """``embedded`` (in-process; ``path`` a directory, or None for memory) or ``meilisearch`` (``url``)."""
    if kind == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend(path)
    if kind in ("meilisearch", "meili"):
        from .meili import MeiliBackend

        if not url:
            raise ValueError("meilisearch backend needs url")
        return MeiliBackend(url, api_key, index_name=index_name)
    raise ValueError(f"unknown search backend: {kind}")
