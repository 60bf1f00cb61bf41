"""The administration tabs (系统管理): which tabs an actor may open, and what each one shows. The pages and the
API read units, categories, vendors and rules through the same functions (``market.accounts``,
``market.catalogue``, ``market.approvals``); the users' tab is the list ``market.accounts.USER_LIST``, the
configuration standards' tab the list ``market.standards.STANDARD_LIST``."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from market import accounts, approvals, catalogue, standards
from market.access import can, require_user
from market.errors import NotFound, PermissionDenied
from market.models import User

# tab → (Chinese label, the capability that opens it)
TABS = {"units": ("单位", "manage_accounts"), "users": ("用户与角色", "manage_accounts"),
        "categories": ("资产分类", "manage_catalogue"), "standards": ("配置标准", "manage_catalogue"), "vendors": ("租赁公司与报价", "manage_catalogue"),
        "rules": ("审批规则", "manage_settings"), "synonyms": ("搜索同义词", "manage_catalogue")}


def tabs(actor: User | None) -> dict[str, str]:
    """The tabs ``actor`` may open: key → label."""
    return {k: label for k, (label, cap) in TABS.items() if can(actor, cap)}


def first_tab(actor: User | None) -> str:
    """Where 系统管理 opens for ``actor``; refused when they may open no tab."""
    mine = tabs(require_user(actor))
    if not mine:
        raise PermissionDenied("无权进入系统管理。")
    return next(iter(mine))


def tab_content(db: Session, actor: User | None, tab: str) -> dict[str, Any]:
    """What the tab shows (the users' tab: the units to choose from; its list is ``USER_LIST``)."""
    actor = require_user(actor)
    if tab not in TABS:
        raise NotFound("页面不存在。")
    if tab not in tabs(actor):
        raise PermissionDenied("无权进入该管理页面。")
    out: dict[str, Any] = {"units": accounts.units(db)}
    if tab == "categories":
        out["categories"] = catalogue.categories(db)
    elif tab == "standards":  # its rows are the list ``market.standards.STANDARD_LIST``
        out |= {"categories": catalogue.categories(db), "standard_fields": standards.FIELDS,
                "ranks": standards.RANKS}
    elif tab == "vendors":
        v = catalogue.vendors(db)
        leaves = catalogue.leaf_categories(db)
        out |= {"vendors": v.vendors, "offers": v.offers, "categories": leaves,
                "cat_names": {c.id: c.name for c in leaves}, "vendor_names": {x.id: x.name for x in v.vendors}}
    elif tab == "synonyms":
        import search
        from market.pool.index import synonyms_path

        path = synonyms_path()
        out |= {"synonyms": path.read_text(encoding="utf-8") if path.exists() else "",
                "defaults": search.default_synonyms()}
    elif tab == "rules":
        out |= {"rules": approvals.rules(db), "defaults": approvals.DEFAULT_CHAINS,
                "actions": approvals.ACTION_LABELS, "approver_roles": approvals.APPROVER_ROLES,
                "max_steps": approvals.MAX_STEPS, "chain_text": approvals.chain_text}
    return out
