"""Disposal (资产处置): 申请 → 审批 → 评估 → 拍卖/转让 → 上缴国库 → 核销 → 已处置.

The steps depend on the method the 《行政事业性国有资产管理条例》 names:

- 转让 (sale) and 报废 (scrap, its residue sold): appraise → sell (拍卖 or 转让) → remit (上缴国库) → write off
- 无偿划转, 对外捐赠, 置换: appraise → hand over to the recipient / counterparty → write off
- 损失核销: write off straight after approval

Separation of duties: the unit that applies does not value or sell what it gives up. Appraisal and sale are
done by the warehouse administrators (``run_disposal``), never by the applicant unit's manager; and a sale
below ``Settings.sale_review_share`` of the book value (default half, ``GONGWUCANG_SALE_REVIEW``) is only
proposed (待财政复核) until finance approves it a second time (``confirm_sale``) or sends it back
(``reject_sale``). At every step the people who must act next get a notice: the disposal rows of ``market.notify_rules``.

Minimum service life (最低使用年限, ``market.standards``): "未达到最低使用年限的，除损毁且无法修复外，原则上不得
更新". An application with an asset younger than its category's minimum life is refused (and the refusal logged
as the asset's event ``dispose_refused_early``), unless the applicant states the damage is beyond repair and the
inspection or appraisal is on record (a damage record from a return inspection, or the report's reference given
with the application). Such a case waits for the extra approval (待提前处置审批, ``approve_early`` /
``reject_early``) by the role that gives the flow's second approvals (``review_sale``: finance) before the
ordinary approval, and says why in ``early_reason``. A 损失核销 (an asset lost, as a count finds) is outside the
rule: what is gone cannot be kept in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from market import approvals, fields
from market.access import HiddenAsset, asset_view, can, require, require_for_assets, visible
from market.assets import assets_by_ids, snapshot, stamp
from market.depreciation import beijing_today, life_ends, net_values
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.fields import amount
from market.infra.config import settings
from market.infra.db import transactional
from market.infra.eventlog import history, log_event
from market.lists import Column, Filter, ListSpec, by_id, latest, like, local_time, named, names, numbered
from market.models import (
    DISPOSAL_METHODS,
    DISPOSAL_STATUSES,
    Asset,
    DamageRecord,
    DisposalCase,
    DisposalItem,
    Event,
    Unit,
    User,
    money,
    utcnow,
)
from market.notify_rules import role_users
from market.orders import own_unit_options
from market.standards import min_life_years, standards_by_category

SELLING = {"sale", "scrap"}
HANDING_OVER = {"free_transfer", "donation", "exchange"}
SALE_CHANNELS = ("拍卖", "转让")


def case_assets(db: Session, case_id: int, viewer: User | None = None) -> list[Asset | HiddenAsset]:
    """The case's assets; with ``viewer``, each as they may see it (``market.access.asset_view``)."""
    rows = list(db.exec(select(Asset).join(DisposalItem, DisposalItem.asset_id == Asset.id)
                        .where(DisposalItem.case_id == case_id).order_by(Asset.id)))
    return rows if viewer is None else [asset_view(viewer, a) for a in rows]


def _log_assets(db: Session, actor: User, case: DisposalCase, action: str, summary: str) -> None:
    for a in case_assets(db, case.id):
        log_event(db, actor, "asset", a.id, action, summary, ref=("disposal", case.id))


def _warehouse_stock(db: Session, case: DisposalCase) -> bool:
    return any(a.warehouse_id is not None for a in case_assets(db, case.id))


def require_operator(db: Session, actor: User | None, case: DisposalCase) -> User:
    """Who runs a case's steps after approval: the warehouse administrators, or the owning unit's manager for
    the unit's own assets (not warehouse stock)."""
    if actor is not None and actor.role == "unit_manager":
        return require_for_assets(actor, "apply_disposal", case.unit_id, _warehouse_stock(db, case))
    return require(actor, "run_disposal")


def require_valuer(db: Session, actor: User | None, case: DisposalCase) -> User:
    """Who appraises and sells a case: the warehouse administrators — never the applicant unit, which would
    otherwise set the price of what it gives up and sell it at that price."""
    if actor is not None and actor.role == "unit_manager":
        raise PermissionDenied("处置资产的评估和出售须由公物仓管理员办理，申请单位不能自行评估或出售。")
    return require(actor, "run_disposal")


def require_sale_reviewer(actor: User | None) -> User:
    """Who approves a sale far below book value a second time (``require_second_approver``)."""
    return require_second_approver(actor)


def require_second_approver(actor: User | None) -> User:
    """Who gives the flow's extra approvals — a sale far below book value, a disposal before the minimum service
    life: finance (``review_sale``). Kept in one place so both steps stay with the same role."""
    return require(actor, "review_sale")


# --- minimum service life ----------------------------------------------------------------------------------

EARLY_EXEMPT = {"loss_writeoff"}  # an asset already lost cannot be kept in use
REFUSED_EARLY = "dispose_refused_early"  # the asset event of a refused application (the supervision report counts it)


def today() -> date:
    """Today in Beijing, the day the minimum life is read on."""
    return beijing_today()


@dataclass(frozen=True)
class Young:
    """An asset younger than its category's minimum service life."""

    asset: Asset
    years: int  # the minimum life
    acquired: date
    ends: date  # the day it is reached

    def text(self) -> str:
        return (f"资产 {self.asset.tag}（{self.asset.name}）于 {self.acquired:%Y-%m-%d} 取得，未达到最低使用年限"
                f"（{self.years} 年，至 {self.ends:%Y-%m-%d}）")


def life_status(db: Session, asset: Asset, on: date | None = None) -> Young | None:
    """``Young`` when the asset has not yet reached its minimum life on ``on`` (default today), else None (also
    when it has no acquisition date or its category no minimum life)."""
    years = min_life_years(db, asset.category_id)
    return _young(asset, years, on or today())


def _young(asset: Asset, years: int | None, on: date) -> Young | None:
    if not years or asset.purchase_date is None:
        return None
    ends = life_ends(asset.purchase_date, years)
    return Young(asset, years, asset.purchase_date, ends) if on < ends else None


def young_assets(db: Session, assets: list[Asset], on: date | None = None) -> list[Young]:
    table = standards_by_category(db)
    on = on or today()
    out = []
    for a in assets:
        s = table.get(a.category_id)
        y = _young(a, s.min_life_years if s else None, on)
        if y is not None:
            out.append(y)
    return out


class EarlyDisposalRefused(InvalidInput):
    """Assets younger than their minimum service life, not damaged beyond repair on record."""

    code = "below_min_life"

    def __init__(self, young: list[Young], message: str) -> None:
        super().__init__(message, "asset_ids")
        self.young = young


def _damage_evidence(db: Session, young: list[Young], beyond_repair: bool, report: str) -> str:
    """Why the young assets may go all the same (the case's ``early_reason``), or refused with the dates."""
    lines = "；".join(y.text() for y in young)
    if not beyond_repair:
        raise EarlyDisposalRefused(young, f"{lines}。未达到最低使用年限（{young[0].years} 年），除损毁且无法修复外"
                                          "不得处置。")
    records = {r.asset_id: r for r in db.exec(select(DamageRecord).where(
        DamageRecord.asset_id.in_([y.asset.id for y in young])).order_by(DamageRecord.id))}
    if report:
        basis = f"检验/鉴定报告：{report}"
    else:
        missing = [y for y in young if y.asset.id not in records]
        if missing:
            raise EarlyDisposalRefused(missing, "；".join(y.text() for y in missing) + "。损毁且无法修复须有检验或"
                                                "鉴定依据：请填写检验/鉴定报告编号，或先在归还验收中登记损坏。")
        basis = "归还验收损坏记录：" + "；".join(f"{y.asset.tag} {records[y.asset.id].description or '已登记损坏'}"
                                            f"（记录 {records[y.asset.id].id}）" for y in young)
    return fields.cut(f"提前处置：{lines}。申请单位称损毁且无法修复，{basis}。", DisposalCase.early_reason)


@transactional
def record_refusal(db: Session, actor: User, method: str, refused: EarlyDisposalRefused) -> None:
    """Keep a refused application in the assets' history (``REFUSED_EARLY``); ``apply_disposal`` does it itself
    when it is not inside another service."""
    for y in refused.young:
        log_event(db, actor, "asset", y.asset.id, REFUSED_EARLY,
                  f"处置申请被拒绝：{y.text()}", after={
                      "unit_id": y.asset.owner_unit_id, "category_id": y.asset.category_id, "method": method,
                      "acquired": y.acquired.isoformat(), "min_life_years": y.years, "ends": y.ends.isoformat()})


def review_threshold(case: DisposalCase) -> Decimal | None:
    """The price below which a sale of this case waits for finance's second approval (None: never)."""
    share = Decimal(str(settings().sale_review_share))
    return money(case.book_value * share) if share > 0 else None


def _step(db: Session, actor: User, case_id: int, allowed_from: set[str], to: str, summary: str,
          action: str, check=None) -> DisposalCase:  # noqa: ANN001
    case = visible(db, actor, DisposalCase, case_id)
    actor = (check or require_operator)(db, actor, case)
    if case.status not in allowed_from:
        raise InvalidTransition(
            f"处置单 {case.number}（{case.method_label}）当前状态为“{case.status_label}”，不能{summary.split('：')[0]}。")
    before = case.status
    case.status = to
    log_event(db, actor, "disposal", case.id, action, summary, {"status": before}, {"status": to})
    _log_assets(db, actor, case, action, f"处置单 {case.number}：{summary}")
    return case


def apply_disposal(db: Session, actor: User, asset_ids: list[int], method: str, reason: str,
                   beyond_repair: bool = False, damage_report: str = "") -> DisposalCase:
    """Apply to dispose of assets. An asset younger than its minimum service life is refused unless
    ``beyond_repair`` (损毁且无法修复) is stated with its inspection on record: ``damage_report`` (the inspection or
    appraisal report's reference) or a damage record of the asset; the case then waits for the extra approval.
    A refusal is kept in the assets' history (``REFUSED_EARLY``) even though nothing else is written."""
    try:
        return _apply_disposal(db, actor, asset_ids, method, reason, beyond_repair, damage_report)
    except EarlyDisposalRefused as refused:
        if not db.info.get("in_service"):  # inside another service the refusal rolls back with it
            record_refusal(db, actor, method, refused)
        raise


@transactional
def _apply_disposal(db: Session, actor: User, asset_ids: list[int], method: str, reason: str,
                    beyond_repair: bool, damage_report: str) -> DisposalCase:
    if method not in DISPOSAL_METHODS:
        raise InvalidInput(f"处置方式须为：{'、'.join(DISPOSAL_METHODS.values())}。", "method")
    if not reason or not reason.strip():
        raise InvalidInput("请填写处置理由。", "reason")
    if not asset_ids:
        raise InvalidInput("请至少选择一件资产。", "asset_ids")
    assets = assets_by_ids(db, sorted(set(asset_ids)), actor)
    owners = {a.owner_unit_id for a in assets}
    if len(owners) != 1:
        raise InvalidInput("一次处置的资产须属于同一单位。", "asset_ids")
    owner = owners.pop()
    require_for_assets(actor, "apply_disposal", owner, any(a.warehouse_id is not None for a in assets))
    for a in assets:
        if a.status not in ("in_use", "idle", "in_repair"):
            raise InvalidTransition(f"资产 {a.tag} 当前状态为“{a.status_label}”，不能申请处置。", "asset_ids")
    report = fields.text(damage_report, fields.REASON_LIMIT, "damage_report", "检验/鉴定报告")
    young = [] if method in EARLY_EXEMPT else young_assets(db, assets)
    early = _damage_evidence(db, young, beyond_repair, report) if young else ""
    case = DisposalCase(unit_id=owner, method=method, reason=reason.strip()[:500], created_by=actor.id,
                        book_value=sum((a.original_value for a in assets), Decimal(0)), early_reason=early,
                        status="early_review" if early else "applied")
    db.add(case)
    db.flush()
    for a in assets:
        db.add(DisposalItem(case_id=case.id, asset_id=a.id))
        before = snapshot(a)
        a.status = "disposing"
        stamp(a)
        log_event(db, actor, "asset", a.id, "dispose_apply", f"申请{case.method_label}（处置单 {case.number}）",
                  before, snapshot(a), ref=("disposal", case.id))
    log_event(db, actor, "disposal", case.id, "apply", f"申请{case.method_label} {len(assets)} 件"
              + ("（未达到最低使用年限，须经提前处置审批）" if early else ""), after={"status": case.status})
    approvals.open_chain(db, approval_subject(case), tell=False)
    return case


def approval_subject(case: DisposalCase) -> approvals.Subject:
    """The case as its approval chain sees it: a disposal of its book value, by its unit."""
    return approvals.Subject("disposal", case.id, "disposal", case.book_value, case.unit_id,
                             f"处置单 {case.number}", f"/disposals/{case.id}")


def _chain_step(db: Session, actor: User, case: DisposalCase, approve: bool, reason: str = "") -> str:
    """Decide the case's current approval step (its turn checked before its state, as every approval)."""
    subject = approval_subject(case)
    approvals.check_turn(db, actor, subject)
    if case.status != "applied":
        raise InvalidTransition(f"处置单 {case.number} 当前状态为“{case.status_label}”，不能审批。")
    return approvals.decide(db, actor, subject, approve, reason)


def _current_step(db: Session, case: DisposalCase) -> approvals.ApprovalStep | None:
    return approvals.current_step(approvals.steps_of(db, approval_subject(case), case.status == "applied"))


@transactional
def approve_disposal(db: Session, actor: User, case_id: int) -> DisposalCase:
    case = visible(db, actor, DisposalCase, case_id)
    if _chain_step(db, actor, case, True) == "next":
        return case
    case.status, case.approved_by = "approved", actor.id
    log_event(db, actor, "disposal", case.id, "approve", "审批通过", {"status": "applied"}, {"status": "approved"})
    _log_assets(db, actor, case, "dispose_approve", f"处置单 {case.number}：审批通过")
    return case


@transactional
def reject_disposal(db: Session, actor: User, case_id: int, reason: str) -> DisposalCase:
    if not reason or not reason.strip():
        raise InvalidInput("驳回须填写理由。", "reason")
    case = visible(db, actor, DisposalCase, case_id)
    _chain_step(db, actor, case, False, reason.strip())
    case.status = "rejected"
    log_event(db, actor, "disposal", case.id, "reject", f"驳回：{reason.strip()}", {"status": "applied"},
              {"status": "rejected"})
    _release(db, actor, case, f"处置单 {case.number} 被驳回")
    return case


def _early_approver(db: Session, actor: User | None, case: DisposalCase) -> User:
    return require_second_approver(actor)


@transactional
def approve_early(db: Session, actor: User, case_id: int) -> DisposalCase:
    """The extra approval of a disposal before the minimum service life: the case goes on to its ordinary
    approval."""
    case = _step(db, actor, case_id, {"early_review"}, "applied", "提前处置审批通过（损毁且无法修复）",
                 "approve_early", _early_approver)
    case.early_approved_by = actor.id
    return case


@transactional
def reject_early(db: Session, actor: User, case_id: int, reason: str) -> DisposalCase:
    """The extra approval refused: the case is rejected and its assets are released."""
    require_second_approver(actor)
    if not reason or not reason.strip():
        raise InvalidInput("驳回须填写理由。", "reason")
    case = _step(db, actor, case_id, {"early_review"}, "rejected", f"提前处置审批驳回：{reason.strip()}",
                 "reject_early", _early_approver)
    _release(db, actor, case, f"处置单 {case.number} 提前处置审批被驳回")
    return case


def _release(db: Session, actor: User, case: DisposalCase, summary: str) -> None:
    for a in case_assets(db, case.id):
        before = snapshot(a)
        a.status = "in_repair" if a.condition == "待维修" else "idle"
        stamp(a)
        log_event(db, actor, "asset", a.id, "dispose_release", summary, before, snapshot(a),
                  ref=("disposal", case.id))


@transactional
def cancel_disposal(db: Session, actor: User, case_id: int) -> DisposalCase:
    case = visible(db, actor, DisposalCase, case_id)
    require_for_assets(actor, "apply_disposal", case.unit_id, _warehouse_stock(db, case))
    if case.status not in ("early_review", "applied", "approved"):
        raise InvalidTransition(f"处置单 {case.number} 当前状态为“{case.status_label}”，不能撤销。")
    before = case.status
    case.status = "cancelled"
    log_event(db, actor, "disposal", case.id, "cancel", "撤销处置申请", {"status": before}, {"status": "cancelled"})
    _release(db, actor, case, f"处置单 {case.number} 已撤销")
    return case


@transactional
def appraise(db: Session, actor: User, case_id: int, value: Decimal | float | str, appraiser: str,
             report: str = "") -> DisposalCase:
    case = visible(db, actor, DisposalCase, case_id)
    require_valuer(db, actor, case)  # who may, before what they sent: a refused role is told so
    if case.method == "loss_writeoff":
        raise InvalidTransition("损失核销不经评估，审批后直接核销。")
    appraised = amount(value, "value", "评估价值")
    if not appraiser or not appraiser.strip():
        raise InvalidInput("请填写评估机构。", "appraiser")
    case = _step(db, actor, case_id, {"approved"}, "appraised", f"评估：{appraiser.strip()} 评估价值 {appraised:.2f} 元",
                 "appraise", require_valuer)
    case.appraised_value, case.appraiser, case.appraisal_report = appraised, appraiser.strip()[:100], report[:200]
    return case


@transactional
def sell(db: Session, actor: User, case_id: int, channel: str, buyer: str,
         proceeds: Decimal | float | str) -> DisposalCase:
    case = visible(db, actor, DisposalCase, case_id)
    require_valuer(db, actor, case)
    if case.method not in SELLING:
        raise InvalidTransition(f"{case.method_label}不经拍卖或转让。")
    if channel not in SALE_CHANNELS:
        raise InvalidInput("成交方式须为拍卖或转让。", "channel")
    if not buyer or not buyer.strip():
        raise InvalidInput("请填写买受人。", "buyer")
    price = amount(proceeds, "proceeds", "成交价")
    share = Decimal(str(settings().sale_floor_share))
    if case.status == "appraised" and price < money(case.appraised_value * share):
        raise InvalidInput(
            f"成交价 {price:.2f} 元低于评估价值 {case.appraised_value:.2f} 元的 {share * 100:.0f}%"
            f"（{money(case.appraised_value * share):.2f} 元），不得成交。", "proceeds")
    threshold = review_threshold(case)
    # set before the step, so that the notice it sends names the buyer and the price
    case.sale_channel, case.buyer, case.proceeds = channel, buyer.strip()[:100], price
    if threshold is not None and price < threshold:
        return _step(db, actor, case_id, {"appraised"}, "sale_review",
                     f"{channel}拟成交：买受人 {buyer.strip()}，成交价 {price:.2f} 元，低于账面价值 {case.book_value:.2f} 元的 "
                     f"{settings().sale_review_share * 100:.0f}%（{threshold:.2f} 元），待财政监管复核", "sell_review",
                     require_valuer)
    return _step(db, actor, case_id, {"appraised"}, "sold",
                 f"{channel}成交：买受人 {buyer.strip()}，成交价 {price:.2f} 元", "sell", require_valuer)


def _reviewer(db: Session, actor: User | None, case: DisposalCase) -> User:
    return require_sale_reviewer(actor)


@transactional
def confirm_sale(db: Session, actor: User, case_id: int) -> DisposalCase:
    """Finance's second approval of a sale far below book value: the sale stands (已成交)."""
    case = _step(db, actor, case_id, {"sale_review"}, "sold",
                 f"财政监管复核通过：{case_sale_text(visible(db, actor, DisposalCase, case_id))}", "confirm_sale",
                 _reviewer)
    case.sale_approved_by = actor.id
    return case


@transactional
def reject_sale(db: Session, actor: User, case_id: int, reason: str) -> DisposalCase:
    """Finance refuses a sale far below book value: the case is back to 已评估, to be sold again."""
    require_sale_reviewer(actor)
    if not reason or not reason.strip():
        raise InvalidInput("退回须填写理由。", "reason")
    case = visible(db, actor, DisposalCase, case_id)
    proposed = case_sale_text(case) if case.status == "sale_review" else ""
    case = _step(db, actor, case_id, {"sale_review"}, "appraised",
                 f"财政监管复核退回（{proposed}）：{reason.strip()}", "reject_sale", _reviewer)
    case.sale_channel, case.buyer, case.proceeds = "", "", None
    return case


def case_sale_text(case: DisposalCase) -> str:
    return f"{case.sale_channel} 买受人 {case.buyer}，成交价 {case.proceeds:.2f} 元"


@transactional
def hand_over(db: Session, actor: User, case_id: int, recipient: str,
              value_received: Decimal | float | str | None = None) -> DisposalCase:
    """无偿划转 / 对外捐赠: to the recipient; 置换: to the counterparty, with the value received."""
    case = visible(db, actor, DisposalCase, case_id)
    require_operator(db, actor, case)
    if case.method not in HANDING_OVER:
        raise InvalidTransition(f"{case.method_label}不经交接。")
    if not recipient or not recipient.strip():
        raise InvalidInput("请填写接收方。", "recipient")
    got = amount(value_received, "value_received", "换入价值") if value_received not in (None, "") else None
    case = _step(db, actor, case_id, {"appraised"}, "handed_over",
                 f"交接：{recipient.strip()}" + (f"，换入价值 {got:.2f} 元" if got is not None else ""), "hand_over")
    case.buyer, case.proceeds = recipient.strip()[:100], got
    return case


@transactional
def remit(db: Session, actor: User, case_id: int, voucher: str) -> DisposalCase:
    """Proceeds paid to the treasury (上缴国库)."""
    require_operator(db, actor, visible(db, actor, DisposalCase, case_id))
    if not voucher or not voucher.strip():
        raise InvalidInput("请填写缴款凭证号。", "voucher")
    case = _step(db, actor, case_id, {"sold"}, "remitted", f"上缴国库：凭证 {voucher.strip()}", "remit")
    case.remittance_ref = voucher.strip()[:60]
    return case


@transactional
def write_off(db: Session, actor: User, case_id: int) -> DisposalCase:
    """核销: the assets leave the books; the case is 已处置."""
    case = visible(db, actor, DisposalCase, case_id)
    ready = {"loss_writeoff": {"approved"}}.get(case.method) or ({"remitted"} if case.method in SELLING
                                                                  else {"handed_over"})
    case = _step(db, actor, case_id, ready, "disposed", "核销，处置完成", "write_off")
    case.closed_at = utcnow()
    final = "lost" if case.method == "loss_writeoff" else "disposed"
    for a in case_assets(db, case.id):
        before = snapshot(a)
        a.status, a.listing_id = final, None
        stamp(a)
        log_event(db, actor, "asset", a.id, "disposed", f"已处置（{case.method_label}）", before, snapshot(a),
                  ref=("disposal", case.id))
    return case


def visible_case(db: Session, actor: User, case_id: int) -> DisposalCase:
    return visible(db, actor, DisposalCase, case_id)


def operators(db: Session, case: DisposalCase) -> list[int]:
    """Who runs a case's remaining steps: the warehouse administrators, and for a unit's own assets (not
    warehouse stock) also that unit's managers (hand over, remit, write off)."""
    people = role_users(db, "warehouse_admin")
    if not _warehouse_stock(db, case):
        people += list(db.exec(select(User.id).where(User.unit_id == case.unit_id, User.role == "unit_manager",
                                                     User.is_active)))
    return people


def waiting_for(db: Session, case: DisposalCase) -> str:
    """Who the case waits for now, as the detail page says it ("" when it is closed)."""
    if case.status == "early_review":
        return "未达到最低使用年限，等待财政监管提前处置审批"
    if case.status == "applied":
        step = _current_step(db, case)
        return f"等待{approvals.step_role_text(db, step)}审批" if step else "等待审批"
    if case.status == "approved":
        return "等待公物仓管理员核销" if case.method == "loss_writeoff" else "等待公物仓管理员评估（申请单位不能自行评估）"
    if case.status == "appraised":
        return "等待公物仓管理员登记" + ("拍卖或转让成交" if case.method in SELLING else "交接")
    if case.status == "sale_review":
        return "拟成交价低于账面价值，等待财政监管复核"
    who = "公物仓管理员" if _warehouse_stock(db, case) else "公物仓管理员或本单位资产管理员"
    return {"sold": f"等待{who}登记上缴国库", "handed_over": f"等待{who}核销",
            "remitted": f"等待{who}核销"}.get(case.status, "")


def next_steps(db: Session, actor: User, case: DisposalCase) -> list[str]:
    """The steps this actor can take on the case now: approve, appraise, sell, hand_over, remit, write_off,
    confirm_sale / reject_sale, cancel."""
    steps = []
    if case.status == "early_review" and can(actor, "review_sale"):
        steps += ["approve_early", "reject_early"]
    if case.status == "applied" and approvals.may_approve(actor, _current_step(db, case)):
        steps.append("approve")
    stock = _warehouse_stock(db, case)
    valuer = can(actor, "run_disposal")
    operator = valuer or (actor.role == "unit_manager" and not stock and can(actor, "apply_disposal", case.unit_id))
    if valuer:
        if case.status == "approved" and case.method != "loss_writeoff":
            steps.append("appraise")
        if case.status == "appraised" and case.method in SELLING:
            steps.append("sell")
    if case.status == "sale_review" and can(actor, "review_sale"):
        steps += ["confirm_sale", "reject_sale"]
    if operator:
        if case.status == "appraised" and case.method not in SELLING:
            steps.append("hand_over")
        if case.status == "sold":
            steps.append("remit")
        ready = {"approved"} if case.method == "loss_writeoff" else ({"remitted"} if case.method in SELLING
                                                                        else {"handed_over"})
        if case.status in ready:
            steps.append("write_off")
    if (case.status in ("early_review", "applied", "approved") and can(actor, "apply_disposal", case.unit_id)
            and (actor.role == "warehouse_admin" or not stock)):
        steps.append("cancel")
    return steps


# the step a person takes on a case → its service, with the fields each one reads (page form and API body alike)
STEPS: dict[str, tuple[str, ...]] = {
    "approve_early": (), "reject_early": ("reason",),
    "approve": (), "reject": ("reason",), "appraise": ("value", "appraiser"), "sell": ("channel", "buyer", "proceeds"),
    "confirm_sale": (), "reject_sale": ("reason",),
    "hand_over": ("recipient", "value_received"), "remit": ("voucher",), "write_off": (), "cancel": (),
}
# the length each text field of a step may have: its column's, or the event log's for a reason kept only there
STEP_TEXT: dict[str, tuple[Any, str]] = {
    "reason": (fields.REASON_LIMIT, "驳回理由"), "appraiser": (DisposalCase.appraiser, "评估机构"),
    "channel": (DisposalCase.sale_channel, "成交方式"), "buyer": (DisposalCase.buyer, "买受人"),
    "recipient": (DisposalCase.buyer, "接收方"), "voucher": (DisposalCase.remittance_ref, "缴款凭证号"),
    "value": (40, "评估价值"), "proceeds": (40, "成交价"), "value_received": (40, "换入价值"),
}


def take_step(db: Session, actor: User, case_id: int, step: str, values: Mapping[str, Any],
              report: str = "") -> DisposalCase:
    """Take ``step`` on the case with the fields it reads from ``values``; ``report`` is an appraisal report
    already saved. The one way the page and the API move a case on."""
    if step not in STEPS:
        raise InvalidInput(f"处置步骤须为：{'、'.join(STEPS)}。", "step")
    v = {}
    for key in STEPS[step]:
        v[key] = fields.text(values.get(key), STEP_TEXT[key][0], key, STEP_TEXT[key][1])
    if step == "approve_early":
        return approve_early(db, actor, case_id)
    if step == "reject_early":
        return reject_early(db, actor, case_id, v["reason"])
    if step == "approve":
        return approve_disposal(db, actor, case_id)
    if step == "reject":
        return reject_disposal(db, actor, case_id, v["reason"])
    if step == "appraise":
        return appraise(db, actor, case_id, v["value"], v["appraiser"], report)
    if step == "sell":
        return sell(db, actor, case_id, v["channel"], v["buyer"], v["proceeds"])
    if step == "confirm_sale":
        return confirm_sale(db, actor, case_id)
    if step == "reject_sale":
        return reject_sale(db, actor, case_id, v["reason"])
    if step == "hand_over":
        return hand_over(db, actor, case_id, v["recipient"], v["value_received"] or None)
    if step == "remit":
        return remit(db, actor, case_id, v["voucher"])
    if step == "write_off":
        return write_off(db, actor, case_id)
    return cancel_disposal(db, actor, case_id)


@dataclass
class CaseView:
    """A disposal case as its detail page shows it to ``actor``: the steps they may take on it now."""

    case: DisposalCase
    unit: Unit
    assets: list[Asset | HiddenAsset]
    events: list[Event]
    steps: list[str]
    floor: float  # the share of the appraised value a sale may not go below
    floor_amount: Decimal | None
    review_share: float  # a sale below this share of the book value waits for finance's second approval
    review_amount: Decimal | None
    waiting_for: str  # who must act next, in words ("" once closed)
    net_value: Decimal  # 账面净值 today: the reference the appraisal is offered (original − depreciation)
    depreciation: Decimal  # the accumulated depreciation behind it
    chain: list[approvals.StepView]  # the approval chain, each step's state


def book_net_value(db: Session, case: DisposalCase) -> tuple[Decimal, Decimal]:
    """The case's assets' net value today and their accumulated depreciation (``market.depreciation``)."""
    rows = net_values(db, case_assets(db, case.id), beijing_today())
    return (sum((d.net for d in rows), Decimal(0)).quantize(Decimal("0.01")),
            sum((d.accumulated for d in rows), Decimal(0)).quantize(Decimal("0.01")))


def case_detail(db: Session, actor: User, case_id: int) -> CaseView:
    case = visible_case(db, actor, case_id)
    floor = settings().sale_floor_share
    net, acc = book_net_value(db, case)
    return CaseView(case, db.get(Unit, case.unit_id), case_assets(db, case.id, actor), history(db, "disposal", case.id),
                    next_steps(db, actor, case), floor,
                    None if case.appraised_value is None else money(case.appraised_value * Decimal(str(floor))),
                    settings().sale_review_share, review_threshold(case), waiting_for(db, case), net, acc,
                    approvals.chain_view(db, approval_subject(case), case.status == "applied"))


DISPOSAL_LIST = ListSpec(
    key="disposals", title="处置单", model=DisposalCase,
    columns=(
        Column("number", "处置单号", lambda c, _: c.number),
        Column("unit", "单位", lambda c, x: x["units"].get(c.unit_id, "")),
        Column("method", "处置方式", lambda c, _: c.method_label),
        Column("reason", "理由", lambda c, _: c.reason),
        Column("book_value", "账面价值（元）", lambda c, _: c.book_value),
        Column("appraised_value", "评估价值（元）", lambda c, _: c.appraised_value),
        Column("proceeds", "成交/收入（元）", lambda c, _: c.proceeds),
        Column("created_at", "申请时间", lambda c, _: local_time(c.created_at)),
        Column("status", "状态", lambda c, _: c.status_label),
    ),
    sorts=by_id(DisposalCase.id) | {
        "value": ("账面价值最高", (DisposalCase.book_value.desc(), DisposalCase.id.desc())),
        "closed": ("核销时间", latest(DisposalCase.closed_at, DisposalCase.id))},
    filters=(
        Filter("status", "状态", lambda v: DisposalCase.status == v, DISPOSAL_STATUSES),
        Filter("method", "处置方式", lambda v: DisposalCase.method == v, DISPOSAL_METHODS),
        Filter("unit", "单位", lambda v: DisposalCase.unit_id == v, options=own_unit_options),
    ),
    search=(numbered(DisposalCase.id), like(DisposalCase.reason), like(DisposalCase.buyer),
            named(DisposalCase.unit_id, Unit)),
    lookups=lambda db, rows: {"units": names(db, Unit, [c.unit_id for c in rows])},
)
