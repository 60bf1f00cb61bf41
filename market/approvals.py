"""Who approves what: approval rules by action and value, with defaults when an action has no rule."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from market.access import require, require_user
from market.errors import InvalidInput, PermissionDenied
from market.fields import amount
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.models import ROLES, ApprovalRule, User

ACTION_LABELS = {
    "loan": "出借",
    "idle_transfer": "闲置资产调剂",
    "ownership_transfer": "资产调拨",
    "disposal": "资产处置",
}


# The defaults when an action has no rule in the database.
DEFAULT_APPROVERS = {
    "loan": "warehouse_admin",
    "idle_transfer": "warehouse_admin",
    "ownership_transfer": "finance",
    "disposal": "finance",
}


def approver_role(db: Session, action: str, value: Decimal) -> str:
    """The role that approves ``action`` for an amount of ``value`` 元."""
    rules = db.exec(
        select(ApprovalRule).where(ApprovalRule.action == action).order_by(ApprovalRule.min_value.desc())
    ).all()
    for rule in rules:
        if value >= rule.min_value:
            return rule.role
    return DEFAULT_APPROVERS[action]


def rules(db: Session) -> list[ApprovalRule]:
    """Every approval rule, by action and starting amount (the administration tab and the API)."""
    return list(db.exec(select(ApprovalRule).order_by(ApprovalRule.action, ApprovalRule.min_value)))


def require_approver(db: Session, actor: User | None, action: str, value: Decimal) -> User:
    actor = require_user(actor)
    role = approver_role(db, action, value)
    if actor.role != role:
        raise PermissionDenied(
            f"{ACTION_LABELS.get(action, action)}（金额 {value:.2f} 元）须由{ROLES.get(role, role)}审批。"
        )
    return actor


@transactional
def set_approval_rule(db: Session, actor: User, action: str, min_value: str | Decimal, role: str) -> ApprovalRule:
    """From ``min_value`` 元 up, ``action`` is approved by ``role`` (until a higher rule takes over)."""
    require(actor, "manage_settings")
    if action not in DEFAULT_APPROVERS:
        raise InvalidInput(f"审批事项须为：{'、'.join(DEFAULT_APPROVERS)}。", "action")
    if role not in ("warehouse_admin", "finance", "sysadmin"):
        raise InvalidInput("审批角色须为公物仓管理员、财政监管或系统管理员。", "role")
    value = amount(min_value, "min_value", "起点金额")
    rule = db.exec(select(ApprovalRule).where(ApprovalRule.action == action, ApprovalRule.min_value == value)).first()
    rule = rule or ApprovalRule(action=action, min_value=value, role=role)
    rule.role = role
    db.add(rule)
    db.flush()
    log_event(db, actor, "rule", rule.id, "update", f"审批规则：{action} 自 {value} 元起由 {ROLES[role]} 审批")
    return rule
