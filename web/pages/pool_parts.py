"""The browse page's two repeated parts — the facet panel and the result cards — written as Python.

They are most of what the page prints (some 20 cards and up to 6 × 12 facet links) and, in Jinja, most of its
CPU: every ``{{ h['x'] }}`` there is a method call for the subscript and one for the escape. Here each card is
one f-string over the hit's fields, every value escaped with the templates' own ``escape_text``. The page
(``pool.html``) places them with ``{{ panel_html }}`` and ``{{ cards_html }}``; the rest of it stays a
template. ``tests/test_pool_page.py`` checks both parts against what a user must see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import markupsafe

from market.pool import browse
from search import fields
from web.templating import escape_text as e

TIERS, MODES = browse.TIER_LABELS, browse.MODE_LABELS
quoted = lru_cache(maxsize=4096)(quote_plus)  # facet values (codes, districts, holders) recur page after page


class Links:
    """The page's own address with some parameters changed, as ``urlencode`` writes it: ``links(q="椅")``;
    None removes a parameter. ``params`` are the page's (without its page number: every link starts at page 1
    unless it names one)."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.base = {k: v for k, v in params.items() if k != "page"}
        self.quoted = {k: quoted(v) for k, v in self.base.items()}  # each value encoded once, not once per link

    def __call__(self, **change: str | None) -> str:
        merged = self.base | change
        q = self.quoted
        parts = [f"{k}={q[k] if k not in change else quoted(v)}" for k, v in merged.items() if v]
        return "/?" + "&".join(parts) if parts else "/"

    def around(self, key: str) -> tuple[str, str]:
        """(head, tail), HTML-escaped, with ``head + quoted(v) + tail`` the link that sets ``key`` to ``v`` (a
        facet's values differ only there; a quoted value holds no character HTML must escape)."""
        keys = list(self.base | {key: "-"})
        at = keys.index(key)
        before = "".join(f"{k}={self.quoted[k]}&" for k in keys[:at])
        after = "".join(f"&{k}={self.quoted[k]}" for k in keys[at + 1:])
        return e(f"/?{before}{key}="), e(after)


def panel_html(panel: Iterable[tuple[fields.Field, list[tuple[str, str, int]]]], chosen: Mapping[str, str],
               links: Links) -> markupsafe.Markup:
    """The facet blocks: each value a link that sets it (the chosen one lit), and 清除 where one is chosen."""
    out = ['<aside class="facets" aria-label="筛选">']
    for f, counts in panel:
        on = chosen.get(f.key, "")
        if not counts and not on:
            continue
        clear = f' <a href="{e(links(**{f.key: None}))}" class="clear">清除</a>' if on else ""
        out.append(f"<section><h3>{e(f.label)}{clear}</h3><ul>")
        head, tail = links.around(f.key)
        for value, label, n in counts:
            lit = "on" if on == value else ""
            out.append(f'<li><a href="{head}{quoted(value)}{tail}" class="{lit}">{e(label)}</a> '
                       f'<span class="n">{n}</span></li>')
        out.append("</ul></section>")
    out.append("</aside>")
    return markupsafe.Markup("".join(out))


def _card(h: Mapping[str, Any]) -> str:
    tier = h["tier"]
    rental = tier == "rental"
    photo = f'<img src="{e(h["photo"])}" alt="" class="photo">' if h.get("photo") else ""
    doc_id = h["id"]
    href = f'/{"listings" if doc_id[0] == "L" else "rentals"}/{e(doc_id[1:])}'
    quantity = h["quantity"]
    if rental:
        amount = f'<dt>日供应</dt><dd><strong>{e(quantity or "不限")}</strong></dd>'
    else:
        now = h.get("available_now")
        rest = (f' <small class="muted">（现在库 {e(now)}，其余已出借或已预订）</small>'
                if now is not None and now < quantity else "")
        amount = f"<dt>数量</dt><dd><strong>{e(quantity)}</strong>{rest}</dd>"
    rows = [amount, f'<dt>{"供应商" if rental else "持有"}</dt><dd>{e(h.get("holder") or "")}</dd>']
    if h.get("district"):
        rows.append(f'<dt>区县</dt><dd>{e(h["district"])}</dd>')
    if h.get("conditions"):
        rows.append(f'<dt>成色</dt><dd>{e("、".join(h["conditions"]))}</dd>')
    rows.append(f'<dt>方式</dt><dd>{e("、".join(MODES.get(m, m) for m in h["modes"]))}</dd>')
    if h.get("distance_km") is not None:
        rows.append(f'<dt>距离</dt><dd>{h["distance_km"]:.1f} 公里</dd>')
    if h.get("available_from") or h.get("available_until"):
        rows.append(f'<dt>可用期</dt><dd>{e(h.get("available_from") or "即日")} 至 '
                    f'{e(h.get("available_until") or "长期")}</dd>')
    if h.get("price_per_unit_day"):
        rows.append(f'<dt>租金</dt><dd>¥{e(h["price_per_unit_day"])}/件/天，送货 ¥{e(h["delivery_fee"])}</dd>')
    return (f'<li class="card">{photo}<div class="card-head"><span class="badge {e(tier)}">{e(TIERS.get(tier, tier))}</span>'
            f'<span class="muted">{e(h.get("category_name") or "")}</span></div>'
            f'<h2><a href="{href}">{h["title_highlighted"]}</a></h2>'  # the backend's escaped title with <mark>
            f'<p class="muted">{e(h.get("brand") or "")} {e(h.get("model") or "")}</p><dl>{"".join(rows)}</dl></li>')


def cards_html(hits: Iterable[Mapping[str, Any]]) -> markupsafe.Markup:
    """The result cards: source, category, title (the matched words marked), brand and model, then quantity,
    holder or vendor, district, condition, modes, distance, dates and rent as the hit has them."""
    return markupsafe.Markup('<ul class="cards">' + "".join(_card(h) for h in hits) + "</ul>")
