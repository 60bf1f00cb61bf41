"""The embedded backend: an in-process inverted index over jieba-segmented text, held in numpy arrays.

Chosen by measurement (bench/search_engines.py): with filters, facets and sorts computed as vectorised
array operations it answers mixed queries at 100,000 listings well under the 5 ms target, and it does
the Chinese-specific matching (sub-words, every character, pinyin, synonyms, Latin typos) itself.

Documents get a slot; an upsert marks the old slot dead and appends a new one, and the index is
compacted when a quarter of the slots are dead. Persistence: a pickled snapshot plus an append-only
journal of writes, replayed on open, so a single upsert costs one appended line.
"""

from __future__ import annotations

import bisect
import html
import json
import math
import os
import pickle
import re
import threading
from array import array
from collections import Counter
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from matcher.geo import haversine_km_array

from . import fields as fd
from . import text as tx
from .base import SearchQuery, SearchResult
from .facets import FacetCounter

FIELD_WEIGHTS = {"title": 4.0, "category": 3.0, "brand": 3.0, "model": 3.0, "path": 1.0, "holder": 0.5,
                 "description": 1.0}
# ``path``: the category's ancestors (计算机设备, 空调及电器), kept apart under PATH and asked only for a query word
# that none of the listings' own words match (``_match``): 空调 finds the air conditioners, not the water dispensers
# filed under 空调及电器; 办公设备 and 家具 find what is filed there
# A listing's own words are matched first; its holder's (or a rental offer's vendor's) name only for the query
# words that name a holder: a word none of those words match anywhere, with the words around it that together are
# part of a holder's name ("市教育局 椅子", ``_match``). A tent company's name must not make its sound systems
# answer 帐篷. The holder's tokens (every character too) are kept apart, under this prefix.
HOLDER_FIELDS = {"holder"}
HOLDER = "h:"
PATH = "p:"
(_HOLDER_COLUMN,) = fd.HOLDER.doc
PER_CHAR_FIELDS = {"title", "category", "brand", "model"}
PINYIN_FIELDS = {"title", "category", "brand", "path"}
PINYIN_FACTOR = 0.3  # pinyin matches rank below text matches
ALIAS_FACTOR = 0.9  # a word's aliases (search/aliases.txt, the administrator's synonyms) rank below the word itself
# The declared fields (search/fields.py) as this index keeps them: a field of string values in a column of
# value numbers, named after its document field; a multi-valued one in a column of bits, a bit per distinct
# value (up to 32 values each); the date window, the creation time and the place in columns of their own.
SINGLE_FIELDS = tuple(f.doc[0] for f in fd.FIELDS if f.kind in fd.VALUE_KINDS and not f.multi)
MULTI_FIELDS = tuple(f.doc[0] for f in fd.FIELDS if f.kind in fd.VALUE_KINDS and f.multi)
_VALUE_FILTERS = [f for f in fd.FILTERS if f.kind in fd.VALUE_KINDS]
# (query attribute, column) of the filters on a code's prefix, on a value, on one of the values
_PREFIX_FILTERS = tuple((f.key, f.doc[0]) for f in _VALUE_FILTERS if f.kind == fd.CODE)
_EQUAL_FILTERS = tuple((f.key, f.doc[0]) for f in _VALUE_FILTERS if f.kind != fd.CODE and not f.multi)
_BIT_FILTERS = tuple((f.key, f.doc[0]) for f in _VALUE_FILTERS if f.multi)
(_WINDOW,) = (f for f in fd.FILTERS if f.kind == fd.DATES)  # one: the columns afrom and auntil
_WANT_FROM, _WANT_TO = _WINDOW.params
_DOC_FROM, _DOC_UNTIL = _WINDOW.doc
(_DOC_CREATED,) = fd.CREATED.doc
_DOC_LAT, _DOC_LNG = fd.PLACE.doc
_BY_DISTANCE, _BY_NEWEST = fd.DISTANCE.key, fd.NEWEST.key
DAY_MIN, DAY_MAX = -(2**31), 2**31 - 1
SNAPSHOT, JOURNAL = "snapshot.pkl", "journal.jsonl"
MAX_EXPANSIONS = 10_000  # query words whose alternatives are kept (``_alternatives``)
DISTANCE_FLOATS = 4_000_000  # distances kept per origin, all origins together (32 MB)
WORD_SCORE_SLOTS = 4_000_000  # slots of the query words' scores kept (``_word``), all words together (20 MB)
FORMAT = 4
NEAREST = 5  # terms suggested when nothing matches


def _day(iso: str | None, default: int) -> int:
    if not iso:
        return default
    return date.fromisoformat(str(iso)[:10]).toordinal()


def _ts(iso: str | None) -> float:
    if not iso:
        return 0.0
    dt = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    return dt.timestamp()


def doc_fields(doc: dict[str, Any]) -> dict[str, str]:
    return {
        "title": doc.get("title") or "",
        "category": doc.get("category_name") or "",
        "path": " ".join(ancestors(doc)),
        "brand": doc.get("brand") or "",
        "model": doc.get("model") or "",
        "holder": doc.get("holder") or "",
        "description": doc.get("description") or "",
    }


def ancestors(doc: dict[str, Any]) -> list[str]:
    """The names above the document's category (its path without the category itself)."""
    name = doc.get("category_name") or ""
    return [p for p in doc.get("category_path") or [] if p and p != name]


def analyse(doc: dict[str, Any]) -> dict[str, float]:
    """token → weight (the highest field weight it appears in) for one document."""
    out: dict[str, float] = {}
    for name, value in doc_fields(doc).items():
        if not value:
            continue
        w = FIELD_WEIGHTS[name]
        toks = tx.index_tokens(value)
        if name not in PER_CHAR_FIELDS and name not in HOLDER_FIELDS:  # a holder's are asked only by name
            toks = [t for t in toks if len(t) > 1 or not tx.CJK.match(t)]
        if name in PINYIN_FIELDS:
            py = tx.pinyin_tokens(toks)
            if name == "category":  # the category's whole names too (签到台 is cut into 签到 + 台)
                py |= tx.name_pinyin([value])
            elif name == "path":
                py |= tx.name_pinyin(ancestors(doc))
        if name in HOLDER_FIELDS:
            toks = [HOLDER + t for t in toks]
        elif name == "path":  # and each ancestor's whole name: 会展用具 (cut into 会展 + 用具) is asked whole
            toks = [PATH + t for t in {*toks, *(tx.normalize(a).strip() for a in ancestors(doc))}]
        for t in toks:
            if out.get(t, 0.0) < w:
                out[t] = w
        if name in PINYIN_FIELDS:
            for p in py:
                k = ("p:py:" if name == "path" else "py:") + p
                if out.get(k, 0.0) < w * PINYIN_FACTOR:
                    out[k] = w * PINYIN_FACTOR
    return out


class _Arr:
    """A growable numpy column."""

    def __init__(self, dtype, fill):
        self.a = np.full(1024, fill, dtype=dtype)
        self.fill = fill

    def set(self, i: int, v) -> None:
        if i >= len(self.a):
            n = max(len(self.a) * 2, i + 1)
            b = np.full(n, self.fill, dtype=self.a.dtype)
            b[: len(self.a)] = self.a
            self.a = b
        self.a[i] = v


class EmbeddedBackend:
    kind = "embedded"

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        tx.jieba_instance()
        self._lock = threading.RLock()
        self._use_synonyms(tx.default_synonyms())
        self._reset()
        if self.path:
            self.path.mkdir(parents=True, exist_ok=True)
            self._load()
            self._journal = open(self.path / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115
        else:
            self._journal = None

    # ------------------------------------------------------------------ state
    def _use_synonyms(self, groups: list[list[str]]) -> None:
        self._synonym_groups = groups
        self._syn = tx.synonym_map(groups)
        self._syn_pinyin = tx.alias_pinyin(self._syn)  # touyingji → 投影机 (whose alias is 投影仪)
        self._syn_latin = tx.latin_alias_keys(self._syn)  # lenovo, epson …: their typos and prefixes find 联想 …

    def _reset(self) -> None:
        self.docs: list[dict[str, Any] | None] = []
        self.id2slot: dict[str, int] = {}
        self.alive = _Arr(np.bool_, False)
        self.created = _Arr(np.float64, 0.0)
        self.lat = _Arr(np.float64, np.nan)
        self.lng = _Arr(np.float64, np.nan)
        self.afrom = _Arr(np.int64, DAY_MIN)
        self.auntil = _Arr(np.int64, DAY_MAX)
        self.bits = {f: _Arr(np.uint32, 0) for f in MULTI_FIELDS}
        self.bit_values: dict[str, list[str]] = {f: [] for f in MULTI_FIELDS}
        self.single = {f: _Arr(np.int32, -1) for f in SINGLE_FIELDS}
        self.values: dict[str, list[str]] = {f: [] for f in SINGLE_FIELDS}
        self.value_ids: dict[str, dict[str, int]] = {f: {} for f in SINGLE_FIELDS}
        self.post_slots: dict[str, array] = {}
        self.post_w: dict[str, array] = {}
        self.latin: set[str] = set()
        self.symdel: dict[str, set[str]] = {}
        self.py_words: dict[str, set[str]] = {}  # pinyin token → CJK words (for highlighting)
        self.compact_words: dict[str, set[str]] = {}  # cbx06 → cb-x06 (for highlighting)
        self.suggestions: Counter[str] = Counter()
        self.n_dead = 0
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._distances: dict[tuple[float, float], np.ndarray] = {}  # origin → km to each slot (``_km_from``)
        self._distances_kept = 0  # floats in ``_distances``
        self._sorted_vocab: list[str] | None = None
        # (query word, is last) → its alternatives: they depend only on the vocabulary and the synonyms, and
        # emptied whenever either changes (``_words_changed``); popular words are asked for again and again
        self._expansions: dict[tuple[str, bool], list[tuple[list[str], float, list[str]]]] = {}
        self._sugg_keys: list[tuple[str, str]] | None = None
        self._near_keys: list[tuple[str, frozenset[str], str]] | None = None  # ``_nearest``'s candidates
        self._holder_names: list[str] = []  # the holder values, normalised (``_match``)
        self._facets = FacetCounter(self)
        self._word_scores: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray, list[str]] | None] = {}
        self._word_slots = 0  # slots in ``_word_scores``, each word's arrays as long as the index then

    @property
    def n(self) -> int:
        return len(self.docs)

    def _value_id(self, f: str, v: str) -> int:
        ids = self.value_ids[f]
        i = ids.get(v)
        if i is None:
            i = ids[v] = len(self.values[f])
            self.values[f].append(v)
            self._facets.changed()
        return i

    def _bit(self, f: str, v: str) -> int:
        vals = self.bit_values[f]
        if v not in vals:
            if len(vals) >= 32:
                return -1
            vals.append(v)
            self._facets.changed()
        return vals.index(v)

    def _mask(self, f: str, v: str) -> int:
        vals = self.bit_values[f]
        return 1 << vals.index(v) if v in vals else 0

    def _add(self, doc: dict[str, Any], tokens: dict[str, float] | None = None) -> None:
        self._scores_changed()
        old = self.id2slot.get(doc["id"])
        if old is not None:
            self._kill(old)
        slot = self.n
        self.docs.append(doc)
        self.id2slot[doc["id"]] = slot
        self.alive.set(slot, True)
        self.created.set(slot, _ts(doc.get(_DOC_CREATED)))
        lat, lng = doc.get(_DOC_LAT), doc.get(_DOC_LNG)
        self.lat.set(slot, float(lat) if lat is not None else np.nan)
        self.lng.set(slot, float(lng) if lng is not None else np.nan)
        self.afrom.set(slot, _day(doc.get(_DOC_FROM), DAY_MIN))
        self.auntil.set(slot, _day(doc.get(_DOC_UNTIL), DAY_MAX))
        for f in MULTI_FIELDS:
            self.bits[f].set(slot, sum(1 << b for b in (self._bit(f, v) for v in set(doc.get(f) or [])) if b >= 0))
        for f in SINGLE_FIELDS:
            self.single[f].set(slot, self._value_id(f, doc.get(f) or ""))
        for t, w in (tokens if tokens is not None else analyse(doc)).items():
            s = self.post_slots.get(t)
            if s is None:
                s = self.post_slots[t] = array("i")
                self.post_w[t] = array("f")
                self._new_token(t)
            s.append(slot)
            self.post_w[t].append(w)
            self._cache.pop(t, None)
        for sug in self._doc_suggestions(doc):
            self.suggestions[sug] += 1
        self._sugg_keys = self._near_keys = None

    def _words_changed(self) -> None:
        """A token was added or the synonyms changed: what was derived from the vocabulary is stale."""
        self._sorted_vocab = None
        self._expansions = {}
        self._scores_changed()

    def _new_token(self, t: str) -> None:
        self._words_changed()
        if t.startswith(("py:", HOLDER, PATH)):
            return
        if t.isascii() and not t.isalnum():
            c = tx.compact(t)
            if c:
                self.compact_words.setdefault(c, set()).add(t)
        if t.isascii() and t.isalnum() and any(c.isalpha() for c in t):
            self.latin.add(t)
            if len(t) >= 3:
                for d in tx.deletes(t, 2):
                    self.symdel.setdefault(d, set()).add(t)
        elif len(t) >= 2:
            keys = tx.pinyin_keys(t)
            if keys:
                for k in keys:
                    self.py_words.setdefault(k, set()).add(t)

    @staticmethod
    def _doc_suggestions(doc: dict[str, Any]) -> list[str]:
        return [s for s in (doc.get("title"), doc.get("category_name"), doc.get("brand"), doc.get("model")) if s]

    def _kill(self, slot: int) -> None:
        doc = self.docs[slot]
        if doc is None:
            return
        self.docs[slot] = None
        self.alive.a[slot] = False
        self._scores_changed()
        self.n_dead += 1
        self.id2slot.pop(doc["id"], None)
        for sug in self._doc_suggestions(doc):
            self.suggestions[sug] -= 1
            if self.suggestions[sug] <= 0:
                del self.suggestions[sug]
        self._sugg_keys = self._near_keys = None

    def _maybe_compact(self) -> None:
        if self.n_dead > 1000 and self.n_dead * 4 > self.n:
            live = [d for d in self.docs if d is not None]
            self._reset()
            for d in live:
                self._add(d)

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        snap = self.path / SNAPSHOT
        if snap.exists():
            with open(snap, "rb") as fh:
                state = pickle.load(fh)
            self._use_synonyms(state["synonyms"])
            if state.get("format") == FORMAT:
                self.__dict__.update(state["state"])
            else:  # an older layout (tokens analysed otherwise): its documents indexed again, then the journal
                for d in state["state"]["docs"]:
                    if d is not None:
                        self._add(d)
            self._words_changed()
        j = self.path / JOURNAL
        if j.exists():
            for line in j.read_text(encoding="utf-8").splitlines():
                try:
                    op = json.loads(line)
                except ValueError:
                    break  # a torn last line after a crash
                self._apply(op)

    _STATE = ("docs", "id2slot", "alive", "created", "lat", "lng", "afrom", "auntil", "bits", "bit_values", "single",
              "values", "value_ids", "post_slots", "post_w", "latin", "symdel", "py_words", "compact_words", "suggestions",
              "n_dead")

    def flush(self) -> None:
        """Write a snapshot and truncate the journal (cheap to call rarely; done by ``close``)."""
        if not self.path:
            return
        with self._lock:
            state = {"format": FORMAT, "synonyms": self._synonym_groups,
                     "state": {k: getattr(self, k) for k in self._STATE}}
            tmp = self.path / (SNAPSHOT + ".tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / SNAPSHOT)
            self._journal.close()
            self._journal = open(self.path / JOURNAL, "w", encoding="utf-8")  # noqa: SIM115
            self._journal_ops = 0

    def close(self) -> None:
        if self.path and self._journal:
            self.flush()
            self._journal.close()
            self._journal = None

    def _log(self, op: dict[str, Any]) -> None:
        if self._journal is not None:
            self._journal.write(json.dumps(op, ensure_ascii=False) + "\n")
            self._journal.flush()
            self._journal_ops = getattr(self, "_journal_ops", 0) + len(op.get("docs") or op.get("ids") or [1])
            if self._journal_ops > 20000:
                self.flush()

    def _apply(self, op: dict[str, Any]) -> None:
        kind = op["op"]
        if kind == "index":
            for d in op["docs"]:
                self._add(d)
            self._maybe_compact()
        elif kind == "delete":
            for i in op["ids"]:
                s = self.id2slot.get(i)
                if s is not None:
                    self._kill(s)
            self._maybe_compact()
        elif kind == "synonyms":
            self._use_synonyms(op["groups"])
            self._words_changed()
        elif kind == "clear":
            self._reset()

    # ------------------------------------------------------------------ writes
    def index(self, docs: list[dict[str, Any]], processes: int = 1) -> None:
        docs = [dict(d) for d in docs]
        for d in docs:
            if not d.get("id"):
                raise ValueError("document without id")
        tokens = _analyse_many(docs, processes) if processes > 1 and len(docs) > 5000 else None
        with self._lock:
            for i, d in enumerate(docs):
                self._add(d, tokens[i] if tokens else None)
            self._maybe_compact()
            self._log({"op": "index", "docs": docs})

    def delete(self, ids: list[str]) -> None:
        with self._lock:
            self._apply({"op": "delete", "ids": list(ids)})
            self._log({"op": "delete", "ids": list(ids)})

    def clear(self) -> None:
        with self._lock:
            self._reset()
            if self.path:
                self._log({"op": "clear"})
                self.flush()

    def set_synonyms(self, groups: list[list[str]]) -> None:
        with self._lock:
            self._apply({"op": "synonyms", "groups": [list(g) for g in groups]})
            self._log({"op": "synonyms", "groups": [list(g) for g in groups]})

    def count(self) -> int:
        return len(self.id2slot)

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "backend": self.kind, "documents": self.count(), "path": str(self.path or ""),
                "tokens": len(self.post_slots)}

    # ------------------------------------------------------------------ matching
    def _post(self, t: str) -> tuple[np.ndarray, np.ndarray] | None:
        c = self._cache.get(t)
        if c is None:
            s = self.post_slots.get(t)
            if s is None:
                return None
            c = self._cache[t] = (np.frombuffer(s, dtype=np.int32).copy(), np.frombuffer(self.post_w[t], dtype=np.float32).copy())
        return c

    def _vocab(self) -> list[str]:
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(t for t in self.post_slots if t.isascii() and not t.startswith((HOLDER, PATH)))
        return self._sorted_vocab

    def _prefix_terms(self, prefix: str, limit: int = 30) -> list[str]:
        v = self._vocab()
        i = bisect.bisect_left(v, prefix)
        out = []
        while i < len(v) and v[i].startswith(prefix) and len(out) < limit:
            if v[i] != prefix:
                out.append(v[i])
            i += 1
        return out

    def _typo_terms(self, w: str) -> list[tuple[str, int]]:
        k = tx.max_typos(w)
        if not k:
            return []
        cands: set[str] = set()
        for d in tx.deletes(w, k):
            cands |= self.symdel.get(d, set())
        out = []
        for c in cands:
            if c != w:
                dist = tx.osa_distance(w, c, k)
                if dist <= k:
                    out.append((c, dist))
        return out

    def _alternatives(self, w: str, last: bool) -> list[tuple[list[str], float, list[str]]]:
        """(tokens that must all match, factor, words to highlight) for one query word."""
        alts = self._expansions.get((w, last))
        if alts is None:
            if len(self._expansions) >= MAX_EXPANSIONS:
                self._expansions = {}
            alts = self._expansions[(w, last)] = self._expand(w, last)
        return alts

    def _expand(self, w: str, last: bool) -> list[tuple[list[str], float, list[str]]]:
        if w.startswith(PATH):  # a category's ancestor: the word, its aliases, a long word's dictionary words, pinyin
            word = w[len(PATH):]
            alts = [([w], 1.0, [])]
            alts += [([PATH + t for t in self._tokens(s, PATH)], ALIAS_FACTOR, []) for s in sorted(self._syn.get(word, ()))]
            if tx.CJK.match(word) and len(word) >= 4:
                parts = _dictionary_split(word)
                if len(parts) > 1:
                    alts.append(([PATH + p for p in parts], 0.9, []))
            elif word.isascii() and word.isalpha():
                alts.append(([PATH + "py:" + word], 1.0, []))
            return alts
        if w.startswith(HOLDER):  # a holder's name: the word, a long word's dictionary words
            word = w[len(HOLDER):]
            alts = [([w], 1.0, [])]
            c = tx.compact(word)
            if c and c != word:
                alts.append(([HOLDER + c], 1.0, []))
            if tx.CJK.match(word) and len(word) >= 4:
                parts = _dictionary_split(word)
                if len(parts) > 1:
                    alts.append(([HOLDER + p for p in parts], 0.9, []))
            if tx.CJK.match(word) and len(word) > 1 and w not in self.post_slots:  # not a word of any name: 锦川
                alts.append(([HOLDER + ch for ch in word], 0.8, []))
            return alts
        alts: list[tuple[list[str], float, list[str]]] = [([w], 1.0, [w, *self.compact_words.get(w, ())])]
        alts += self._aliases(w, 1.0)
        if tx.CJK.match(w):
            if len(w) >= 4:
                parts = _dictionary_split(w)
                if len(parts) > 1:
                    alts.append((parts, 0.9, parts))
            if len(w) >= 2 and w not in self.post_slots and PATH + w not in self.post_slots:  # (用具 is a word)
                alts.append((list(w), 0.5, list(w)))
        else:
            c = tx.compact(w)
            if c != w:
                alts.append(([c], 1.0, [w]))
            if w.isalpha():
                alts.append((["py:" + w], 1.0, sorted(self.py_words.get(w, ()))))
                for word in sorted(self._syn_pinyin.get(w, ())):  # the pinyin of a word with aliases
                    alts.append((self._tokens(word), PINYIN_FACTOR, [word]))
                    alts += self._aliases(word, PINYIN_FACTOR)
            if w.isascii() and w.isalnum() and any(ch.isalpha() for ch in w):
                for t, dist in self._typo_terms(w):
                    alts.append(([t], 0.7 if dist == 1 else 0.5, [t]))
                k = tx.max_typos(w)
                for key in self._syn_latin if k else ():  # a typo in an alias: lenvo → lenovo → 联想
                    dist = tx.osa_distance(w, key, k) if key != w else 0
                    if 0 < dist <= k:
                        alts += self._aliases(key, 0.7 if dist == 1 else 0.5)
            if last and len(w) >= 3:  # the prefix of an alias: lenov → lenovo → 联想
                i = bisect.bisect_left(self._syn_latin, w)
                while i < len(self._syn_latin) and self._syn_latin[i].startswith(w):
                    if self._syn_latin[i] != w:
                        alts += self._aliases(self._syn_latin[i], 0.7)
                    i += 1
            if last and len(w) >= 2:
                for t in self._prefix_terms(w):
                    if t.startswith("py:"):
                        continue
                    alts.append(([t], 0.7, [w]))
                if w.isalpha():
                    for t in self._prefix_terms("py:" + w, 10):
                        alts.append(([t], 0.7, sorted(self.py_words.get(t[3:], ()))))
        return alts

    def _tokens(self, word: str, prefix: str = "") -> list[str]:
        """The index tokens (under ``prefix``, without it) that must all match for a word: itself if indexed, else
        its query words."""
        return [word] if prefix + word in self.post_slots else tx.segment_query(word)

    def _aliases(self, w: str, factor: float) -> list[tuple[list[str], float, list[str]]]:
        """The alternatives of the words ``w`` also finds (its aliases): below the word itself (ALIAS_FACTOR)."""
        return [(self._tokens(s), factor * ALIAS_FACTOR, [s]) for s in sorted(self._syn.get(w, ()))]

    def _merge_synonym_spans(self, words: list[str]) -> list[str]:
        """Join consecutive query words that together are a synonym key (公文 柜 → 公文柜) or a category
        ancestor's whole name (会展 用具 → 会展用具)."""
        if len(words) < 2:
            return words
        out, i = [], 0
        while i < len(words):
            for j in range(min(len(words), i + 4), i + 1, -1):
                joined = "".join(words[i:j])
                if joined in self._syn or PATH + joined in self.post_slots:
                    out.append(joined)
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _match(self, words: list[str], n: int) -> list[tuple[np.ndarray, np.ndarray, list[str]] | None]:
        """Each query word's score in each slot, the slots it matches and the words to highlight (None: it
        matches nothing). Words are matched on the listing's own words; a word that matches none of those
        anywhere, with the words around it that together are part of a holder's name, is matched on the holder
        names ("市教育局 椅子": 市教育局 there, 椅子 on the listings) as one word (锦川, cut into 锦 + 川, is one
        entry). The arrays are read-only: they may be kept by ``_word``."""
        words = self._merge_synonym_spans(words)
        last = len(words) - 1
        out = [self._word(w, i == last, n) for i, w in enumerate(words)]
        if all(f is not None for f in out):
            return out
        for i, f in enumerate(out):  # a word no listing's own words match: the categories' ancestors (家具)
            if f is None:
                out[i] = self._word(PATH + words[i], i == last, n)
        if all(f is not None for f in out):
            return out
        names = self._holder_names
        values = self.values[_HOLDER_COLUMN]
        names += [tx.normalize(v) for v in values[len(names):]]  # holder values only grow (until a reset)
        named: set[int] = set()  # the words that name a holder
        runs: dict[int, int] = {}  # first word of a run naming a holder → the word after the run
        for i, f in enumerate(out):
            if f is not None or i in named:
                continue
            lo, hi = i, i + 1
            while True:  # widen the run while it is still part of some holder's name
                if lo > 0 and lo - 1 not in named and any("".join(words[lo - 1:hi]) in h for h in names):
                    lo -= 1
                elif hi <= last and any("".join(words[lo:hi + 1]) in h for h in names):
                    hi += 1
                else:
                    break
            named.update(range(lo, hi))
            runs[lo] = hi
        # a run is one word of a holder's name: 锦川, which jieba cuts into 锦 + 川, must not count as two words
        # matched (relaxation ranks by the number of words matched) nor match any holder with a 锦 or a 川
        merged, i = [], 0
        while i <= last:
            if i in runs:
                merged.append(self._word(HOLDER + "".join(words[i:runs[i]]), runs[i] > last, n))
                i = runs[i]
            else:
                merged.append(out[i])
                i += 1
        return merged

    def _word(self, w: str, last: bool, n: int) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        """One query word over the first ``n`` slots: its score in each (the best of its alternatives, idf
        applied), the slots it matches and the words to highlight; None if it matches nothing alive.

        Kept until the index changes (any write: ``_scores_changed``), like the decoded postings under it:
        the words people search for come back search after search. At most ``WORD_SCORE_SLOTS`` slots' worth
        are kept, the words used longest ago dropped first."""
        key = (w, last)
        if key in self._word_scores:
            found = self._word_scores[key] = self._word_scores.pop(key)  # the newest now
            return found
        ws = np.zeros(n, dtype=np.float32)
        fresh = True  # nothing in ws yet: the first single-token alternative is assigned, not maxed
        marks: list[str] = []
        for toks, factor, hl in self._alternatives(w, last):
            posts = [self._post(t) for t in dict.fromkeys(toks)]
            if not posts or any(p is None for p in posts):
                continue
            if len(posts) == 1:
                s, wt = posts[0]
                ws[s] = (wt if factor == 1.0 else wt * factor) if fresh else np.maximum(ws[s], wt * factor)
            else:
                cnt = np.zeros(n, dtype=np.int8)
                acc = np.zeros(n, dtype=np.float32)
                for s, wt in posts:
                    cnt[s] += 1
                    acc[s] += wt
                ok = cnt == len(posts)
                if not ok.any():
                    continue
                np.maximum(ws, np.where(ok, acc * (factor / len(posts)), 0), out=ws)
            fresh = False
            marks += hl
        hit = ws > 0
        df = int(np.count_nonzero(hit & self.alive.a[:n]))
        if df == 0:
            found = None
        else:
            # idf over the live documents: slots of replaced documents must not count, or an index kept up to
            # date by upserts ranks (and rounds) differently from one rebuilt with the same documents
            ws *= np.float32(math.log(1 + (n - self.n_dead) / (1 + df)))
            ws.flags.writeable = hit.flags.writeable = False  # shared by every search until the next write
            found = (ws, hit, marks)
            self._word_slots += n  # every kept word is n slots long: any write empties them all
        self._word_scores[key] = found
        while self._word_slots > WORD_SCORE_SLOTS and len(self._word_scores) > 1:
            if self._word_scores.pop(next(iter(self._word_scores))) is not None:
                self._word_slots -= n
        return found

    def _scores_changed(self) -> None:
        """Postings, liveness or synonyms changed: every kept word score is stale."""
        if self._word_scores:
            self._word_scores = {}
            self._word_slots = 0

    def _filters(self, q: SearchQuery, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The live slots passing every filter of ``q``, and each value filter's own mask by its name (a
        facet's counts leave its own out: disjunctive facets)."""
        own: dict[str, np.ndarray] = {}
        for name, f in _PREFIX_FILTERS:  # a code and the codes below it
            v = getattr(q, name)
            if v:
                codes = self.values[f]
                allowed = np.fromiter((c.startswith(v) for c in codes), dtype=bool, count=len(codes))
                own[name] = allowed[self.single[f].a[:n]]
        for name, f in _EQUAL_FILTERS:
            v = getattr(q, name)
            if v:
                own[name] = self.single[f].a[:n] == self.value_ids[f].get(v, -2)
        for name, f in _BIT_FILTERS:
            v = getattr(q, name)
            if v:
                own[name] = (self.bits[f].a[:n] & self._mask(f, v)) != 0
        want_from, want_to = getattr(q, _WANT_FROM), getattr(q, _WANT_TO)
        if want_from or want_to:
            lo = _day(want_from, DAY_MIN)
            hi = _day(want_to, DAY_MAX)
            own[_WINDOW.key] = (self.afrom.a[:n] <= hi) & (self.auntil.a[:n] >= lo)
        mask = self.alive.a[:n].copy()
        for m in own.values():
            mask &= m
        return mask, own

    # ------------------------------------------------------------------ search
    def search(self, query: SearchQuery) -> SearchResult:
        query.validate()
        with self._lock:
            n = self.n
            words = tx.segment_query(query.q)
            filters, own = self._filters(query, n)
            marks: set[str] = set()
            relaxed = False
            m = None  # the slots the words match (None: no words)
            if words:
                score, m, marks, relaxed = self._text(words, filters, n)
                mask = filters & m
            else:
                mask = filters
            idx = mask.nonzero()[0]  # (numpy's functions cost more per call than the methods: flatnonzero, a[i])
            total = int(len(idx))
            facets = self._facets.count(query.facets, idx)
            for name in query.facets:  # disjunctive: a facet counts as if its own selection were not applied
                if name in own:
                    others = self.alive.a[:n] if m is None else m & self.alive.a[:n]
                    for other, om in own.items():
                        if other != name:
                            others = others & om
                    facets.update(self._facets.count((name,), others.nonzero()[0]))
            start = (query.page - 1) * query.per_page
            k = start + query.per_page
            km = None if query.origin is None else self._km_from(query.origin, n)
            if query.sort == _BY_DISTANCE:
                key = km.take(idx)
            elif query.sort == _BY_NEWEST or not words:
                key = -self.created.a.take(idx)
            else:
                # the score to 3 decimals (np.round(x, 3) is rint(x * 1000) / 1000: the same order), then newest
                key = -(np.rint(score.take(idx).astype(np.float64) * 1e3) * 1e11 + self.created.a.take(idx) / 100)
            if start >= total:
                order = np.array([], dtype=np.int64)
            else:
                part = np.argpartition(key, k - 1)[:k] if k < total else np.arange(total)
                order = part.take(np.lexsort((idx.take(part), key.take(part))))[start:k]
            slots = idx.take(order)
            dists = None if km is None else km.take(slots).tolist()
            hits = []
            fmarks = frozenset(marks)
            for k, slot in enumerate(slots.tolist()):  # plain ints and floats: numpy scalars cost per hit
                doc = self.docs[slot]
                hit = {**doc, "title_highlighted": highlight(doc.get("title") or "", fmarks)}
                if dists is not None:
                    d = dists[k]
                    hit["distance_km"] = None if d == math.inf else round(d, 3)  # inf: no place
                hits.append(hit)
            # nothing matched the words anywhere (not just within the filters): the nearest terms
            nearest = self._nearest(query.q) if words and not total and not (m & self.alive.a[:n]).any() else []
            return SearchResult(total=total, hits=hits, facets=facets, relaxed=relaxed, nearest=nearest)

    def _text(self, words: list[str], filters: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, set[str], bool]:
        """(score, the slots matched, the words to highlight, relaxed) for the query words: the slots holding
        every word; when none within ``filters`` does, the slots holding some of them, more words first
        (relaxed)."""
        found = self._match(words, n)
        marks: set[str] = set()
        for f in found:
            if f is not None:
                marks.update(f[2])
        got = [f for f in found if f is not None]
        if not got:
            return np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool), marks, False
        score, mask = got[0][0], got[0][1]
        for ws, hit, _ in got[1:]:
            score, mask = score + ws, mask & hit
        if len(got) == len(found) and (len(found) == 1 or (mask & filters).any()):
            return score, mask, marks, False
        # relaxation: the more words a slot holds the higher it ranks, then its score
        count = np.zeros(n, dtype=np.float32)
        for _, hit, _ in got:
            count += hit
        mask = count > 0
        if not (mask & filters).any():
            return score, mask, marks, False
        total = np.zeros(n, dtype=np.float32)
        for ws, _, _ in got:
            total += ws
        top = float(total.max()) + 1.0
        return total + count * np.float32(top), mask, marks, True

    def _nearest(self, q: str) -> list[str]:
        """Category names, brands and short titles nearest to a query that matches nothing."""
        if self._near_keys is None:
            self._near_keys = [tx.near_key(s) for s in self.suggestions if len(s) <= 12]
        return tx.nearest_terms(q, self._near_keys, NEAREST)

    def _km_from(self, origin: tuple[float, float], n: int) -> np.ndarray:
        """Kilometres from ``origin`` to each of the first ``n`` slots (infinite: no place, last by distance),
        kept per origin.

        Searchers measure from their unit, so a few hundred origins serve a whole city; a slot's place never
        changes (an upsert takes a new slot, compaction starts the index again), so only slots added since are
        computed. At most ``DISTANCE_FLOATS`` distances are kept, the origins used longest ago dropped first.
        """
        km = self._distances.pop(origin, None)
        have = 0 if km is None else len(km)
        if have < n:
            tail = haversine_km_array(origin[0], origin[1], self.lat.a[have:n], self.lng.a[have:n])
            tail[np.isnan(tail)] = np.inf
            km = tail if km is None else np.concatenate((km, tail))
            self._distances_kept += n - have
        self._distances[origin] = km  # (re)inserted last: dicts keep insertion order, the oldest comes first
        while self._distances_kept > DISTANCE_FLOATS and len(self._distances) > 1:
            self._distances_kept -= len(self._distances.pop(next(iter(self._distances))))
        return km

    def search_now(self, query: SearchQuery) -> SearchResult | None:
        """``search``, or None if a write holds the index at this instant: for a caller that must not wait
        (an event loop answering from memory; it asks again from a thread)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self.search(query)
        finally:
            self._lock.release()

    # ------------------------------------------------------------------ suggest
    def suggest_now(self, prefix: str, limit: int = 8) -> list[str] | None:
        """``suggest``, or None if a write holds the index or its completions must be rebuilt first (after a
        change; long on a large index): for a caller that must not wait."""
        if self._sugg_keys is None or not self._lock.acquire(blocking=False):
            return None
        try:
            return self.suggest(prefix, limit) if self._sugg_keys is not None else None
        finally:
            self._lock.release()

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        p = tx.normalize(prefix).strip().replace(" ", "")
        if not p:
            return []
        with self._lock:
            if self._sugg_keys is None:
                keys = []
                for s in self.suggestions:
                    norm = tx.normalize(s)
                    keys.append((norm, s))
                    # a Latin word inside (联想ThinkPad E14 → thinkpad e14): thin suggests it too
                    keys.extend((norm[m.start():].replace(" ", ""), s) for m in _LATIN_START.finditer(norm)
                                if m.start())
                    full, initials = _pinyin_of(norm)
                    if full and full != norm:
                        keys.append((full, s))
                        keys.append((initials, s))
                keys.sort()
                self._sugg_keys = keys
            keys = self._sugg_keys
            i = bisect.bisect_left(keys, (p, ""))
            found: dict[str, int] = {}
            while i < len(keys) and keys[i][0].startswith(p) and len(found) < 500:
                s = keys[i][1]
                found[s] = self.suggestions.get(s, 0)
                i += 1
        ranked = sorted(found, key=lambda s: (-found[s], len(s), s))
        return ranked[:limit]


_LATIN_START = re.compile(r"(?<![a-z0-9])[a-z][a-z0-9]")


def _pinyin_of(s: str) -> tuple[str, str]:
    from pypinyin import lazy_pinyin

    parts = [p for p in lazy_pinyin(s) if p.strip()]
    if not any(tx.CJK.match(c) for c in s):
        return "", ""
    full = "".join(p for p in parts if p.isascii() and p.isalnum())
    initials = "".join(p[0] for p in parts if p.isascii() and p.isalnum())
    return full, initials


def _dictionary_split(word: str) -> list[str]:
    """Split a long CJK word into dictionary sub-words, longest first from the left (格力空调 → 格力, 空调)."""
    jb = tx.jieba_instance()
    out, i = [], 0
    while i < len(word):
        for j in range(len(word), i + 1, -1):
            w = word[i:j]
            if w != word and jb.dt.FREQ.get(w):
                out.append(w)
                i = j
                break
        else:
            out.append(word[i])
            i += 1
    return out


@lru_cache(maxsize=4096)
def _mark_pattern(words: frozenset[str]) -> re.Pattern | None:
    ws = sorted((w for w in words if w), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ws))) if ws else None


@lru_cache(maxsize=8192)  # the same titles come back for the same words, search after search
def highlight(title: str, words: frozenset[str]) -> str:
    """The title HTML-escaped, with every occurrence of the matched words wrapped in <mark>."""
    pat = _mark_pattern(words)
    if pat is None:
        return html.escape(title)
    low = tx.normalize(title)
    if len(low) != len(title):  # NFKC changed a length (rare): normalise character by character
        low = "".join(n if len(n := tx.normalize(c)) == 1 else c for c in title)
    spans: list[list[int]] = []
    pos = 0
    while True:
        m = pat.search(low, pos)
        if m is None:
            break
        if m.end() == m.start():
            pos = m.end() + 1
            continue
        if spans and m.start() <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], m.end())
        else:
            spans.append([m.start(), m.end()])
        pos = m.start() + 1
    out, i = [], 0
    for a, b in spans:
        out.append(html.escape(title[i:a]))
        out.append(f"<mark>{html.escape(title[a:b])}</mark>")
        i = b
    out.append(html.escape(title[i:]))
    return "".join(out)


def _analyse_worker(docs: list[dict[str, Any]]) -> list[dict[str, float]]:
    return [analyse(d) for d in docs]


def _analyse_many(docs: list[dict[str, Any]], processes: int) -> list[dict[str, float]]:
    """Segment documents in a pool of processes (a full reindex is dominated by segmentation)."""
    import multiprocessing as mp

    chunk = max(1, len(docs) // (processes * 8))
    parts = [docs[i:i + chunk] for i in range(0, len(docs), chunk)]
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(processes) as pool:
        out: list[dict[str, float]] = []
        for r in pool.map(_analyse_worker, parts):
            out.extend(r)
    return out
