"""Chinese text handling shared by the backends: segmentation, pinyin, normalisation, synonyms."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

# Domain words added to jieba's dictionary so segmentation of listings is stable.
DOMAIN_WORDS = [
    "会议椅", "折叠椅", "办公椅", "转椅", "座椅", "文件柜", "书柜", "保密柜", "更衣柜", "档案柜", "铁皮柜",
    "投影仪", "投影机", "投影幕", "幕布", "激光打印机", "喷墨打印机", "打印一体机", "一体机", "复印机",
    "扫描仪", "碎纸机", "笔记本电脑", "台式电脑", "台式机", "计算机", "显示器", "交换机", "路由器",
    "服务器", "办公桌", "会议桌", "写字台", "茶几", "沙发", "空调", "柜式空调", "挂式空调", "帐篷",
    "篷房", "音响", "音箱", "话筒", "麦克风", "发电机", "对讲机", "摄像机", "照相机", "电视机",
    "冰箱", "饮水机", "白板", "演讲台", "屏风", "铁架床", "上下床", "救灾帐篷", "折叠桌",
]

_jieba_lock = threading.Lock()
_jieba = None

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN_RUN = re.compile(r"[a-z0-9]+(?:[-_./][a-z0-9]+)*")
_QUERY_WORD = re.compile(f"{_CJK_RUN.pattern}|{_LATIN_RUN.pattern}")
LATIN_WORD = re.compile(r"^[a-z]+$")


def jieba_instance():
    """jieba, initialised once, quietly, with the domain words."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for w in DOMAIN_WORDS:
                    jieba.add_word(w, freq=50000)
                _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=200_000)
def _cut(run: str) -> tuple[str, ...]:
    return tuple(jieba_instance().cut(run, HMM=False))


def sub_words(word: str) -> list[str]:
    """Dictionary words inside a CJK word (激光打印机 → 激光, 打印, 打印机 …), the word itself excluded."""
    jb = jieba_instance()
    out = []
    n = len(word)
    for i in range(n):
        for j in range(i + 2, n + 1):
            w = word[i:j]
            if w != word and jb.dt.FREQ.get(w):
                out.append(w)
    return out


def segment_query(text: str) -> list[str]:
    """Query words: jieba words for CJK runs, Latin/number tokens (punctuation inside kept for codes)."""
    out: list[str] = []
    for tok in _QUERY_WORD.findall(normalize(text)):
        if CJK.match(tok):
            out.extend(w for w in _cut(tok) if w.strip())
        else:
            out.append(tok)
    return out


@lru_cache(maxsize=500_000)
def index_tokens(text: str) -> tuple[str, ...]:
    """Tokens to index for a text: jieba words, their dictionary sub-words, every CJK character,
    Latin/number words, and model codes also without punctuation (cb-x06 → cb, x06, cb-x06, cbx06)."""
    text = normalize(text)
    out: set[str] = set()
    for m in _CJK_RUN.finditer(text):
        run = m.group()
        out.update(run)
        for w in _cut(run):
            out.add(w)
            if len(w) >= 3:
                out.update(sub_words(w))
    for m in _LATIN_RUN.finditer(text):
        tok = m.group()
        parts = re.split(r"[-_./]", tok)
        out.update(p for p in parts if p)
        if len(parts) > 1:
            out.add(tok)
            out.add("".join(parts))
    return tuple(out)


@lru_cache(maxsize=200_000)
def pinyin_keys(word: str) -> tuple[str, str] | None:
    """(full pinyin, initials) of a CJK word, e.g. 会议椅 → ("huiyiyi", "hyy")."""
    if not word or not all(CJK.match(c) for c in word):
        return None
    from pypinyin import lazy_pinyin

    full = lazy_pinyin(word)
    return "".join(full), "".join(p[0] for p in full if p)


def pinyin_tokens(tokens) -> set[str]:
    """Pinyin tokens (full and initials) of the multi-character CJK tokens among ``tokens``."""
    out: set[str] = set()
    for t in tokens:
        if len(t) >= 2:
            keys = pinyin_keys(t)
            if keys:
                out.update(keys)
    return out


def name_pinyin(names) -> set[str]:
    """Pinyin (full and initials) of whole names made of CJK characters only, e.g. a category's name: 签到台 is
    cut into 签到 + 台, yet people type qiandaotai and qdt."""
    out: set[str] = set()
    for name in names:
        keys = pinyin_keys(normalize(name).strip()) if name and len(name) >= 2 else None
        if keys:
            out.update(keys)
    return out


def compact(code: str) -> str:
    return re.sub(r"[^0-9a-z\u3400-\u9fff]", "", normalize(code))


# ----------------------------------------------------------------------------------------- synonyms

ALIASES = Path(__file__).with_name("aliases.txt")


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(g) for g in load_synonyms(ALIASES))


def default_synonyms() -> list[list[str]]:
    """The product's synonym groups: the aliases shipped in ``search/aliases.txt`` (brand names in both
    scripts, everyday category names). Mutual groups list equivalent words; a group with ``"=>"`` is
    one-way: a query for a word on the left also finds the words on the right, not the reverse
    (searching 笔记本电脑 should not bring back every desktop computer)."""
    return [list(g) for g in _shipped()]


def load_synonyms(path: str | Path) -> list[list[str]]:
    """Read an administrator's synonym file: one group per line, words separated by spaces or
    commas (full-width too); ``a b => c d`` is one-way. ``#`` starts a comment; blank lines skipped."""
    groups: list[list[str]] = []
    for lineno, raw in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        split = lambda s: [w for w in re.split(r"[\s,，、;；]+", s.strip()) if w]  # noqa: E731
        if "=>" in line:
            left, _, right = line.partition("=>")
            lw, rw = split(left), split(right)
            if not lw or not rw or "=>" in right:
                raise ValueError(f"同义词文件第 {lineno} 行格式错误：{raw.strip()}")
            groups.append([*lw, "=>", *rw])
        else:
            words = split(line)
            if len(words) < 2:
                raise ValueError(f"同义词文件第 {lineno} 行至少需要两个词：{raw.strip()}")
            groups.append(words)
    return groups


def synonym_map(groups: list[list[str]]) -> dict[str, set[str]]:
    """word → words it also finds (normalised)."""
    out: dict[str, set[str]] = {}
    for g in groups:
        g = [normalize(w).strip() for w in g if w.strip()]
        if "=>" in g:
            i = g.index("=>")
            left, right = g[:i], g[i + 1:]
            for w in left:
                out.setdefault(w, set()).update(x for x in right if x != w)
        else:
            for w in g:
                out.setdefault(w, set()).update(x for x in g if x != w)
    return out


def alias_pinyin(syn: dict[str, set[str]]) -> dict[str, set[str]]:
    """Pinyin of the Chinese words that have aliases → those words (touyingji, tyj → 投影机; fuyinji → 复印机), so
    an alias is found by its pinyin as the words of the listings are. Initials only from three letters: two are
    too ambiguous (gl: 格力, 管理, GL8)."""
    out: dict[str, set[str]] = {}
    for w in syn:
        keys = pinyin_keys(w)
        if keys:
            full, initials = keys
            out.setdefault(full, set()).add(w)
            if len(initials) >= 3:
                out.setdefault(initials, set()).add(w)
    return out


def latin_alias_keys(syn: dict[str, set[str]]) -> list[str]:
    """The Latin words that have aliases (lenovo, epson …), sorted: a typo or a prefix of one finds its aliases."""
    return sorted(w for w in syn if w.isascii() and any(c.isalpha() for c in w))


def reverse_aliases(syn: dict[str, set[str]]) -> dict[str, set[str]]:
    """word → the words that also find it (联想 → lenovo; 多功能一体机 → 复印机, 复合机, 一体机)."""
    out: dict[str, set[str]] = {}
    for w, found in syn.items():
        for f in found:
            out.setdefault(f, set()).add(w)
    return out


# ----------------------------------------------------------------------------------------- nearest terms

_FIRST_LATIN = re.compile(r"[a-z][a-z0-9]*")


def near_key(term: str) -> tuple[str, frozenset[str], str]:
    """What ``nearest_terms`` compares of a candidate: the term, its characters, its first Latin word."""
    c = compact(term)
    m = _FIRST_LATIN.search(c)
    return term, frozenset(c), m.group() if m else ""


def nearest_terms(query: str, candidates, limit: int = 5) -> list[str]:
    """The candidates (names, brands; or their ``near_key``) nearest to a query that matched nothing: for a
    Chinese query those sharing most of its characters first (then the fewest other characters), for a Latin
    one by edit distance of its first Latin word (whose first letter must agree)."""
    q = compact(query)
    if not q:
        return []
    qs = set(q)
    latin = q.isascii() and len(q) >= 3
    scored = []
    for c in candidates:
        term, chars, word = c if isinstance(c, tuple) else near_key(c)
        if latin:
            if not word or word[0] != q[0]:
                continue
            d = osa_distance(q, word[:len(q)], 2)
            if d <= 2 and d * 3 <= len(q):
                scored.append((d, 0.0, len(term), term))
        elif not qs.isdisjoint(chars):
            common = qs & chars
            if any(CJK.match(ch) for ch in common):
                scored.append((-len(common) / len(qs), -len(common) / len(qs | chars), len(term), term))
    scored.sort()
    return list(dict.fromkeys(t for *_, t in scored))[:limit]


# ----------------------------------------------------------------------------------------- typos

def max_typos(word: str) -> int:
    n = len(word)
    return 0 if n < 5 else 1 if n < 9 else 2


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two adjacent letters counts as one)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    la, lb = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        best = cur[0]
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb]


def deletes(word: str, depth: int) -> set[str]:
    """Every string reached from ``word`` by deleting up to ``depth`` characters (symmetric delete)."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1:])
        out |= nxt
        frontier = nxt
    return out
