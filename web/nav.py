"""The top bar's main navigation: which pages each role sees, and which link is lit for the page shown.

Declared once here as data and rendered by ``nav_html(role, path)``, which keeps each (role, section) pair's
HTML: every page shows the bar, and it depends on nothing else (the name, the unread count and the sign-out
form around it are the page's own)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import markupsafe

from market.models import ROLES

ALL = frozenset(ROLES)


@dataclass(frozen=True)
class Link:
    href: str
    label: str
    roles: frozenset[str] = ALL
    sections: tuple[str, ...] = ()  # the first path segments that light it (default: the href's own)
    labels: tuple[tuple[str, str], ...] = ()  # (role, label) where a role reads it differently

    def lit_by(self) -> tuple[str, ...]:
        return self.sections or (self.href.strip("/").split("/")[0],)

    def label_for(self, role: str) -> str:
        return dict(self.labels).get(role, self.label)


def _not(*roles: str) -> frozenset[str]:
    return ALL - set(roles)


NAV: tuple[Link, ...] = (
    Link("/", "公物池"),
    Link("/listings", "挂牌", _not("sysadmin")),
    Link("/requests", "需求申请", labels=(("warehouse_admin", "审批与申请"),)),
    Link("/acquisitions", "配置申请", _not("sysadmin")),
    Link("/orders", "单据"),
    Link("/transfers", "调拨", _not("sysadmin")),
    Link("/purchasing", "集中采购", frozenset({"warehouse_admin", "finance"})),
    Link("/counts", "盘点", frozenset({"unit_manager", "warehouse_admin"})),
    Link("/idle", "闲置提醒", frozenset({"unit_manager", "warehouse_admin", "finance"})),
    Link("/disposals", "处置", _not("unit_staff")),
    Link("/board", "需求广场", sections=("board", "wishes")),
    Link("/assets", "资产", labels=(("unit_staff", "本单位资产"), ("unit_manager", "本单位资产"))),
    Link("/admin", "系统管理", frozenset({"sysadmin", "warehouse_admin"})),
    Link("/warehouse/receive", "入库", frozenset({"warehouse_admin"})),
    Link("/evaluation", "绩效", _not("unit_staff")),
    Link("/stats", "统计", frozenset({"warehouse_admin", "finance", "sysadmin"})),
    Link("/supervision", "监管报表", frozenset({"warehouse_admin", "finance"})),
    Link("/proposals", "调配方案", frozenset({"warehouse_admin", "finance"})),
)

_SECTIONS = frozenset(s for link in NAV for s in link.lit_by())


def section_of(path: str) -> str:
    """The first segment of ``path`` ("" for the pool; "?" for a page no link stands for, which lights none)."""
    first = path.strip("/").split("/", 1)[0]
    return first if first in _SECTIONS else "?"


@cache  # bounded: roles × sections
def _render(role: str, section: str) -> markupsafe.Markup:
    parts = []
    for link in NAV:
        if role not in link.roles:
            continue
        lit = ' class="active"' if section in link.lit_by() else ""
        parts.append(f'<a href="{link.href}"{lit}>{markupsafe.escape(link.label_for(role))}</a>')
    return markupsafe.Markup('<nav class="mainnav">' + "".join(parts) + "</nav>")


def nav_html(role: str, path: str) -> markupsafe.Markup:
    return _render(role, section_of(path))
