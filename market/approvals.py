"""Who approves what: approval rules by action and value, each an ordered chain of approver roles, with defaults
when an action has no rule; and each document's chain under way (``ApprovalStep``): whose turn it is, who approved
which step and when, a refusal at any step ending it.

A document (a request, a disposal case, an ownership transfer) lays its chain down when it is submitted
(``open_chain``); every approve or reject goes through ``decide``, which says whether the chain is now complete,
still under way, or refused. "unit_manager" in a chain is the manager of the document's own unit (the requesting
or owning unit), never another unit's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from market.access import require, require_user
from market.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from market.fields import amount
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.lists import local_time
from market.models import ROLES, ApprovalRule, ApprovalStep, Unit, User, utcnow

ACTION_LABELS = {
    "loan": "出借",
    "idle_transfer": "闲置资产调剂",
    "ownership_transfer": "资产调拨",
    "disposal": "资产处置",
}

# The roles a chain may name, as the rules page and the messages call them.
APPROVER_ROLES = {
    "unit_manager": "申请单位资产管理员",
    "warehouse_admin": ROLES["warehouse_admin"],
    "finance": ROLES["finance"],
}
MAX_STEPS = len(APPROVER_ROLES)  # a role appears once in a chain

# The chains when an action has no rule in the database.
DEFAULT_CHAINS: dict[str, list[str]] = {
    "loan": ["warehouse_admin"],
    "idle_transfer": ["warehouse_admin"],
    "ownership_transfer": ["finance"],
    "disposal": ["finance"],
}


def chain_for(db: Session, action: str, value: Decimal) -> list[str]:
    """The approver roles, in order, for ``action`` at an amount of ``value`` 元."""
    rules = db.exec(
        select(ApprovalRule).where(ApprovalRule.action == action).order_by(ApprovalRule.min_value.desc())
    ).all()
    for rule in rules:
        if value >= rule.min_value:
            return list(rule.steps)
    return list(DEFAULT_CHAINS[action])


def chain_text(steps: list[str]) -> str:
    return " → ".join(APPROVER_ROLES.get(r, ROLES.get(r, r)) for r in steps)


def rules(db: Session) -> list[ApprovalRule]:
    """Every approval rule, by action and starting amount (the administration tab and the API)."""
    return list(db.exec(select(ApprovalRule).order_by(ApprovalRule.action, ApprovalRule.min_value)))


# --- the rules ---------------------------------------------------------------------------------------------


def _clean_steps(steps: object) -> list[str]:
    if isinstance(steps, str):
        steps = [s for s in steps.replace("，", ",").split(",")]
    if not isinstance(steps, list | tuple):
        raise InvalidInput("审批链须为审批角色的列表。", "steps")
    steps = [str(s).strip() for s in steps if str(s).strip()]
    if not steps:
        raise InvalidInput("审批链不能为空，请至少选择一个审批角色。", "steps")
    for s in steps:
        if s not in APPROVER_ROLES:
            raise InvalidInput(f"未知的审批角色“{s[:20]}”：须为{'、'.join(APPROVER_ROLES.values())}。", "steps")
    if len(set(steps)) != len(steps):
        raise InvalidInput("同一审批角色在审批链中只能出现一次。", "steps")
    return steps


def _rule_fields(action: str, min_value: str | Decimal, steps: object) -> tuple[str, Decimal, list[str]]:
    if action not in DEFAULT_CHAINS:
        raise InvalidInput(f"审批事项须为：{'、'.join(ACTION_LABELS.values())}。", "action")
    return action, amount(min_value, "min_value", "起点金额"), _clean_steps(steps)


def _same_start(db: Session, action: str, value: Decimal, other_than: int | None) -> ApprovalRule | None:
    rule = db.exec(select(ApprovalRule).where(ApprovalRule.action == action, ApprovalRule.min_value == value)).first()
    return rule if rule is not None and rule.id != other_than else None


def _describe(rule: ApprovalRule) -> str:
    return f"{ACTION_LABELS[rule.action]} 自 {rule.min_value:.2f} 元起：{chain_text(rule.steps)}"


@transactional
def add_rule(db: Session, actor: User, action: str, min_value: str | Decimal, steps: object) -> ApprovalRule:
    """A new rule: from ``min_value`` 元 up, ``action`` goes through ``steps`` (until a higher rule takes over)."""
    require(actor, "manage_settings")
    action, value, steps = _rule_fields(action, min_value, steps)
    if _same_start(db, action, value, None) is not None:
        raise InvalidInput(f"{ACTION_LABELS[action]}自 {value:.2f} 元起的规则已存在，请修改那一条。", "min_value")
    rule = ApprovalRule(action=action, min_value=value, steps=steps)
    db.add(rule)
    db.flush()
    log_event(db, actor, "rule", rule.id, "create", f"新增审批规则：{_describe(rule)}", after=_state(rule))
    return rule


@transactional
def edit_rule(db: Session, actor: User, rule_id: int, action: str, min_value: str | Decimal,
              steps: object) -> ApprovalRule:
    """Change a rule. Documents already under way keep the chain they were given."""
    require(actor, "manage_settings")
    rule = _rule(db, rule_id)
    action, value, steps = _rule_fields(action, min_value, steps)
    if _same_start(db, action, value, rule.id) is not None:
        raise InvalidInput(f"{ACTION_LABELS[action]}自 {value:.2f} 元起的规则已存在。", "min_value")
    before = _state(rule)
    rule.action, rule.min_value, rule.steps = action, value, steps
    db.add(rule)
    log_event(db, actor, "rule", rule.id, "update", f"修改审批规则：{_describe(rule)}", before, _state(rule))
    return rule


@transactional
def delete_rule(db: Session, actor: User, rule_id: int) -> None:
    """Remove a rule: its amounts fall to the next lower rule, or the default chain."""
    require(actor, "manage_settings")
    rule = _rule(db, rule_id)
    log_event(db, actor, "rule", rule.id, "delete", f"删除审批规则：{_describe(rule)}", _state(rule))
    db.delete(rule)


@transactional
def set_approval_rule(db: Session, actor: User, action: str, min_value: str | Decimal, steps: object) -> ApprovalRule:
    """Add the rule, or change the chain of the rule that starts at the same amount (the older one-form API)."""
    require(actor, "manage_settings")
    action, value, clean = _rule_fields(action, min_value, steps)
    same = _same_start(db, action, value, None)
    return edit_rule(db, actor, same.id, action, value, clean) if same else add_rule(db, actor, action, value, clean)


def _rule(db: Session, rule_id: int | None) -> ApprovalRule:
    rule = db.get(ApprovalRule, rule_id) if isinstance(rule_id, int) else None
    if rule is None:
        raise NotFound("审批规则不存在。")
    return rule


def _state(rule: ApprovalRule) -> dict[str, object]:
    return {"action": rule.action, "min_value": str(rule.min_value), "steps": list(rule.steps)}


# --- a document's chain ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A document that needs approval: its kind and id (as the event log names it), what it asks and for how
    much, the unit whose manager approves a "unit_manager" step, and how messages name and link it."""

    kind: str  # request, disposal, order
    id: int
    action: str
    value: Decimal
    unit_id: int | None
    name: str  # e.g. 申请 XQ2026000012“年会”
    link: str


def _laid(db: Session, subject: Subject) -> list[ApprovalStep]:
    return list(db.exec(select(ApprovalStep).where(ApprovalStep.subject == subject.kind,
                                                   ApprovalStep.subject_id == subject.id)
                        .order_by(ApprovalStep.position)))


def _fresh(db: Session, subject: Subject) -> list[ApprovalStep]:
    roles = chain_for(db, subject.action, subject.value)
    return [ApprovalStep(subject=subject.kind, subject_id=subject.id, position=i + 1, role=role,
                         unit_id=subject.unit_id if role == "unit_manager" else None,
                         status="pending" if i == 0 else "waiting") for i, role in enumerate(roles)]


def open_chain(db: Session, subject: Subject, tell: bool = True) -> list[ApprovalStep]:
    """Lay down the document's chain from the rule that applies now, and (``tell``) tell the first step's
    approvers (a document that tells the people of each of its states itself passes False)."""
    steps = _fresh(db, subject)
    for s in steps:
        db.add(s)
    db.flush()
    if tell:
        tell_approvers(db, subject, steps[0])
    return steps


def steps_of(db: Session, subject: Subject, awaiting: bool) -> list[ApprovalStep]:
    """The document's chain: its steps as laid down; for a document from before chains existed, the chain the
    rules give now while it still awaits approval (``awaiting``), else none."""
    return _laid(db, subject) or (_fresh(db, subject) if awaiting else [])


def current_step(steps: list[ApprovalStep]) -> ApprovalStep | None:
    return next((s for s in steps if s.status == "pending"), None)


def may_approve(actor: User | None, step: ApprovalStep | None) -> bool:
    """May ``actor`` decide this step? Its role, and for a unit step the manager of the document's own unit."""
    if actor is None or not actor.is_active or step is None or step.status != "pending" or actor.role != step.role:
        return False
    return step.role != "unit_manager" or (actor.unit_id is not None and actor.unit_id == step.unit_id)


def step_role_text(db: Session, step: ApprovalStep) -> str:
    """Who approves the step, as a person reads it: 申请单位资产管理员（市教育局）, 公物仓管理员 …"""
    if step.role == "unit_manager":
        unit = db.get(Unit, step.unit_id) if step.unit_id else None
        return f"{APPROVER_ROLES['unit_manager']}（{unit.name}）" if unit else APPROVER_ROLES["unit_manager"]
    return APPROVER_ROLES.get(step.role, ROLES.get(step.role, step.role))


def approvers(db: Session, step: ApprovalStep | None) -> list[int]:
    """The people who may decide the step."""
    if step is None:
        return []
    where = [User.role == step.role, User.is_active]
    if step.role == "unit_manager":
        where.append(User.unit_id == step.unit_id)
    return list(db.exec(select(User.id).where(*where).order_by(User.id)))


def current_approvers(db: Session, subject: Subject) -> list[int]:
    """The people who may decide the document's current step (none when no step is pending): the recipients of
    "waiting for approval" wherever a table of events asks for them."""
    return approvers(db, current_step(steps_of(db, subject, True)))


def tell_approvers(db: Session, subject: Subject, step: ApprovalStep) -> int:
    """The step's approvers are told the document waits for them (the notice table's ``approval_waiting`` row; a
    document's first step is told by its own row — request, transfer or disposal waiting)."""
    from market.notices import announce

    total = len(_laid(db, subject)) or step.position
    return announce(db, "approval_waiting", {
        "approvers": approvers(db, step), "name": subject.name,
        "action_label": ACTION_LABELS.get(subject.action, subject.action), "value_text": f"{subject.value:.2f}",
        "position": step.position, "total": total, "who": step_role_text(db, step),
        "path": subject.link.strip("/").split("/")[0], "subject_id": subject.id},
        f"approval:{subject.kind}:{subject.id}:{step.position}")


def check_turn(db: Session, actor: User | None, subject: Subject) -> User:
    """``actor`` if the document's current step is theirs to decide, else why not (``PermissionDenied``)."""
    actor = require_user(actor)
    steps = steps_of(db, subject, True)
    step = current_step(steps)
    if step is None:
        raise InvalidTransition(f"{subject.name}没有待审批的步骤。")
    if not may_approve(actor, step):
        raise PermissionDenied(f"{subject.name}（{ACTION_LABELS.get(subject.action, subject.action)}，金额 "
                               f"{subject.value:.2f} 元）第 {step.position}/{len(steps)} 步须由"
                               f"{step_role_text(db, step)}审批。")
    return actor


def decide(db: Session, actor: User | None, subject: Subject, approve: bool, reason: str = "") -> str:
    """Decide the current step: "next" (approved, the next step's approvers are told), "approved" (the last step
    approved: the document moves on) or "rejected" (refused: the chain ends, no later step is asked)."""
    actor = check_turn(db, actor, subject)
    steps = _laid(db, subject)
    if not steps:  # a document from before chains: lay its chain down now
        steps = _fresh(db, subject)
        for s in steps:
            db.add(s)
    step = current_step(steps)
    step.status, step.decided_by, step.decided_at = ("approved" if approve else "rejected"), actor.id, utcnow()
    step.reason = reason[:500]
    who = step_role_text(db, step)
    log_event(db, actor, subject.kind, subject.id, "approve_step" if approve else "reject_step",
              f"审批第 {step.position}/{len(steps)} 步（{who}）：" + ("同意" if approve else f"驳回：{reason}"),
              {"step": step.position, "status": "pending"}, {"step": step.position, "status": step.status})
    if not approve:
        return "rejected"
    later = [s for s in steps if s.position > step.position]
    if not later:
        return "approved"
    later[0].status = "pending"
    db.flush()
    tell_approvers(db, subject, later[0])
    return "next"


@dataclass(frozen=True)
class StepView:
    """One step of a chain as the document's page shows it."""

    position: int
    who: str  # the role (and unit) that approves it
    status: str
    status_label: str
    decided_by: str
    decided_at: str
    reason: str


def chain_view(db: Session, subject: Subject, awaiting: bool) -> list[StepView]:
    """The chain with each step's state: 已批准 by whom and when, 待审批 by which role, 未开始; once the document no
    longer awaits approval (withdrawn, or refused at an earlier step), an undecided step reads as not taken."""
    steps = steps_of(db, subject, awaiting)
    names = {u.id: u.display_name or u.username for u in db.exec(select(User).where(
        User.id.in_([s.decided_by for s in steps if s.decided_by] or [0])))}
    return [StepView(s.position, step_role_text(db, s), s.status if awaiting or s.decided_by else "ended",
                     s.status_label if awaiting or s.decided_by else "未进行（申请已撤回或结束）",
                     names.get(s.decided_by, ""), local_time(s.decided_at), s.reason) for s in steps]
