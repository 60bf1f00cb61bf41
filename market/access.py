"""Who may do what and who may see what: capabilities per role, the unit scope, and the one visibility policy
for every object type (``visible``, ``scoped``, ``asset_view``). Every read and write of an object goes through
here; a second copy of a rule is where the next leak hides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, or_, true
from sqlmodel import Session, SQLModel, select

from market.errors import NotAuthenticated, PermissionDenied
from market.infra.rows import get_or_404
from market.models import (
    Asset,
    ConfigStandard,
    CountLine,
    DamageRecord,
    DisposalCase,
    InventoryCount,
    Notice,
    Order,
    OrderItem,
    PoolListing,
    Proposal,
    PurchaseBatch,
    RentalOffer,
    Request,
    Unit,
    User,
    Wish,
)

T = TypeVar("T", bound=SQLModel)

UNIT_ROLES = {"unit_staff", "unit_manager"}

# capability → roles that hold it. Unit roles act only for their own unit (see ``require``).
CAPABILITIES: dict[str, set[str]] = {
    "post_listing": {"unit_manager", "warehouse_admin"},
    "receive_items": {"warehouse_admin"},
    "submit_request": {"unit_staff", "unit_manager"},
    "withdraw_request": {"unit_staff", "unit_manager"},
    "allocate": {"warehouse_admin"},
    "hand_out": {"warehouse_admin"},
    "take_return": {"warehouse_admin"},
    "settle_damage": {"warehouse_admin"},
    "propose_transfer": {"unit_manager", "warehouse_admin"},
    "apply_disposal": {"unit_manager", "warehouse_admin"},
    "run_disposal": {"warehouse_admin"},
    "review_sale": {"finance"},  # a disposal sale far below book value: finance's second approval
    "import_assets": {"unit_manager", "warehouse_admin"},
    "run_matcher": {"warehouse_admin"},
    "manage_accounts": {"sysadmin"},
    "manage_catalogue": {"sysadmin", "warehouse_admin"},
    "manage_settings": {"sysadmin"},
}



def require_user(actor: User | None) -> User:
    if actor is None or not actor.is_active:
        raise NotAuthenticated("请先登录。")
    return actor


def can(actor: User | None, capability: str, unit_id: int | None = None) -> bool:
    if actor is None or not actor.is_active or actor.role not in CAPABILITIES.get(capability, set()):
        return False
    if actor.role in UNIT_ROLES and unit_id is not None and actor.unit_id != unit_id:
        return False
    return True


def require(actor: User | None, capability: str, unit_id: int | None = None) -> User:
    actor = require_user(actor)
    if actor.role not in CAPABILITIES.get(capability, set()):
        raise PermissionDenied(f"{actor.role_label}无权执行此操作。")
    if actor.role in UNIT_ROLES and unit_id is not None and actor.unit_id != unit_id:
        raise PermissionDenied("只能处理本单位的资产和申请。")
    return actor


# --- an order's "held" relation ---------------------------------------------------------------------------
#
# A loan or transfer of a unit's idle items (a lot of the virtual pool, not warehouse stock) takes items that are
# at the holding unit's site: that unit's manager hands them over and, for a loan, takes them back and inspects
# them, with the same checks as the warehouse administrator (who can still act on them).

HELD_KINDS = ("loan", "transfer")


def held_by(unit_id: int | None) -> Any:
    """SQL condition: the order takes items of an idle lot held by ``unit_id`` (the one definition of "held")."""
    idle_lots = select(PoolListing.id).where(PoolListing.warehouse_id.is_(None))
    return and_(Order.from_unit_id == unit_id, Order.kind.in_(HELD_KINDS), Order.listing_id.in_(idle_lots))


def holds(db: Session, actor: User | None, order: Order) -> bool:
    """Is ``actor`` the manager of the unit that holds this order's items?"""
    if actor is None or not actor.is_active or actor.role != "unit_manager" or actor.unit_id is None:
        return False
    if order.from_unit_id != actor.unit_id or order.kind not in HELD_KINDS:
        return False
    return db.exec(select(Order.id).where(Order.id == order.id, held_by(actor.unit_id))).first() is not None


def may_handle(db: Session, actor: User | None, order: Order, capability: str) -> bool:
    """May ``actor`` hand the order's items over (``hand_out``) or take them back (``take_return``)?"""
    return can(actor, capability) or holds(db, actor, order)


def require_handler(db: Session, actor: User | None, order: Order, capability: str) -> User:
    """``actor`` if they may hand over or take back this order's items: the warehouse administrators, or the
    manager of the unit holding them."""
    actor = require_user(actor)
    if not may_handle(db, actor, order, capability):
        if actor.role == "unit_manager" and order.from_unit_id == actor.unit_id:
            raise PermissionDenied("该单据的物品不是本单位闲置资产，由公物仓管理员办理。")
        raise PermissionDenied("只有公物仓管理员或持有物品单位的资产管理员可以办理交付和收回。")
    return actor


def require_for_assets(actor: User | None, capability: str, owner_unit_id: int | None,
                       warehouse_stock: bool) -> User:
    """``require`` for acting on assets of one owner. Warehouse stock (items kept in a 公物仓) is handled by the
    warehouse administrators alone, although on the books it belongs to the bureau that runs the warehouse: that
    unit's own staff and managers act only on its office assets."""
    actor = require(actor, capability, owner_unit_id)
    if warehouse_stock and actor.role != "warehouse_admin":
        raise PermissionDenied("公物仓库存只能由公物仓管理员办理。")
    return actor






# --- visibility --------------------------------------------------------------------------------------------
#
# Unit roles see and change only their own unit's objects (and what the pool offers everybody); the other roles
# read every unit's documents. A confidential (涉密) asset is shown only to its owner unit and to the finance
# supervisors: everywhere else — a count line, an order's items, a disposal's assets, a label sheet, a search
# hit — it appears as its tag alone (``asset_view``).

SUPERVISORS = frozenset({"finance"})  # read everything, confidential assets of every unit included
LEDGER = frozenset({"warehouse_admin", "finance"})  # read every unit's documents (requests, orders, counts …)
PLANNERS = LEDGER  # proposals and purchase batches
# The system administrator manages accounts, units, the catalogue and settings and reads no unit's business
# records (the separation of duties of 三员分立): their documents are refused to them like to another unit.
NOT_THE_SYSADMIN = "系统管理员负责账号、单位、目录与设置，不查看各单位的业务数据。"


def sees_details(actor: User, asset: Asset) -> bool:
    """May ``actor`` see this asset's name, place, condition and history (not only its tag)?"""
    if asset.owner_unit_id == actor.unit_id or actor.role in SUPERVISORS:
        return True
    return not asset.confidential


def _lent_to(db: Session, asset_id: int, unit_id: int | None) -> bool:
    return unit_id is not None and db.exec(
        select(OrderItem.id).join(Order, Order.id == OrderItem.order_id)
        .where(OrderItem.asset_id == asset_id, OrderItem.active, Order.to_unit_id == unit_id)).first() is not None


def _asset(db: Session, actor: User, a: Asset) -> str | None:
    if not sees_details(actor, a):
        return "涉密资产仅所属单位和财政监管可查看。"
    if actor.role in LEDGER or a.owner_unit_id == actor.unit_id or a.listing_id is not None:
        return None
    if actor.role not in UNIT_ROLES:
        return NOT_THE_SYSADMIN
    return None if _lent_to(db, a.id, actor.unit_id) else "只能查看本单位的资产和公物池中的资产。"


def _unit_doc(message: str, units: Callable[[Any], tuple[int | None, ...]]) -> Callable[[Session, User, Any], str | None]:
    def rule(db: Session, actor: User, obj: Any) -> str | None:
        if actor.role in LEDGER or actor.role in UNIT_ROLES and actor.unit_id in units(obj):
            return None
        return message if actor.role in UNIT_ROLES else NOT_THE_SYSADMIN
    return rule


def _roles(roles: frozenset[str], message: str) -> Callable[[Session, User, Any], str | None]:
    return lambda db, actor, obj: None if actor.role in roles else message


def _listing(db: Session, actor: User, x: PoolListing) -> str | None:
    if x.status == "active" or actor.role in LEDGER or x.holder_unit_id == actor.unit_id:
        return None
    return "该挂牌已撤回，只有持有单位可以查看。"


def _count_line(db: Session, actor: User, line: CountLine) -> str | None:
    return _RULES[InventoryCount](db, actor, get_or_404(db, InventoryCount, line.count_id))


def _damage(db: Session, actor: User, d: DamageRecord) -> str | None:
    if d.order_id is not None:
        return _RULES[Order](db, actor, get_or_404(db, Order, d.order_id))
    return _asset(db, actor, get_or_404(db, Asset, d.asset_id))


def _wish(db: Session, actor: User, w: Wish) -> str | None:
    if w.public and w.status == "active" or actor.role in LEDGER or w.unit_id == actor.unit_id:
        return None
    return "只能查看本单位的心愿单。"


def _offer(db: Session, actor: User, o: RentalOffer) -> str | None:
    if o.is_active or actor.role in ("warehouse_admin", "sysadmin"):
        return None
    return "该租赁报价已停用。"


def _user(db: Session, actor: User, u: User) -> str | None:
    return None if actor.role == "sysadmin" or u.id == actor.id else "只有系统管理员可以查看用户。"


# object type → why ``actor`` may not see it (None: they may). Writes check their capability on top of this.
_RULES: dict[type, Callable[[Session, User, Any], str | None]] = {
    Asset: _asset,
    PoolListing: _listing,
    Request: _unit_doc("只能查看本单位的申请。", lambda r: (r.unit_id,)),
    Order: _unit_doc("只能查看本单位的单据。", lambda o: (o.to_unit_id, o.from_unit_id)),
    DisposalCase: _unit_doc("只能查看本单位的处置单。", lambda c: (c.unit_id,)),
    InventoryCount: _unit_doc("只能查看本单位的盘点。", lambda c: (c.unit_id,)),
    CountLine: _count_line,
    DamageRecord: _damage,
    Proposal: _roles(PLANNERS, "只有公物仓管理员和财政监管可以查看调配方案。"),
    PurchaseBatch: _roles(PLANNERS, "只有公物仓管理员和财政监管可以查看采购批次。"),
    Notice: lambda db, actor, n: None if n.user_id == actor.id else "只能查看发给自己的消息。",
    Wish: _wish,
    User: _user,
    RentalOffer: _offer,  # the market's offers are public to everyone signed in, like the pool
}


def may_see(db: Session, actor: User | None, obj: Any) -> bool:
    return actor is not None and actor.is_active and _RULES[type(obj)](db, actor, obj) is None


def check_visible(db: Session, actor: User | None, obj: T) -> T:
    """``obj`` if ``actor`` may see it, else ``PermissionDenied`` with the reason."""
    actor = require_user(actor)
    refusal = _RULES[type(obj)](db, actor, obj)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return obj


def visible(db: Session, actor: User | None, model: type[T], ident: int | None, field: str | None = None) -> T:
    """The object of this type and id if ``actor`` may see it: 404 if there is none, 403 if it is not theirs.
    The one way a read or a write loads an object by id."""
    actor = require_user(actor)
    return check_visible(db, actor, get_or_404(db, model, ident, field))


def _scope(model: type, actor: User) -> Any:
    """The SQL condition that keeps the rows of ``model`` that ``actor`` may see in a list."""
    unit_role = actor.role in UNIT_ROLES
    if actor.role not in LEDGER and not unit_role and model in _LEDGER_MODELS:
        raise PermissionDenied(NOT_THE_SYSADMIN)
    if model is Asset:
        mine = Asset.owner_unit_id == actor.unit_id
        return mine if unit_role else (true() if actor.role in SUPERVISORS else or_(mine, Asset.confidential.is_(False)))
    if model is Request:
        return Request.unit_id == actor.unit_id if unit_role else true()
    if model is Order:
        return or_(Order.to_unit_id == actor.unit_id, Order.from_unit_id == actor.unit_id) if unit_role else true()
    if model is DisposalCase:
        return DisposalCase.unit_id == actor.unit_id if unit_role else true()
    if model is InventoryCount:
        return InventoryCount.unit_id == actor.unit_id if unit_role else true()
    if model is PoolListing:
        return or_(PoolListing.status == "active", PoolListing.holder_unit_id == actor.unit_id) if unit_role else true()
    if model in (Proposal, PurchaseBatch):  # a list some roles may not open at all: refused, not empty
        refusal = _RULES[model](None, actor, None)
        if refusal is not None:
            raise PermissionDenied(refusal)
        return true()
    if model is Notice:
        return Notice.user_id == actor.id
    if model is Wish:  # as ``_wish``: a unit's own, the public ones on the demand board; every one to the ledger
        public = and_(Wish.public, Wish.status == "active")
        return or_(Wish.unit_id == actor.unit_id, public) if unit_role else (
            true() if actor.role in LEDGER else public)
    if model is User:
        return true() if actor.role == "sysadmin" else User.id == actor.id
    if model is Unit:  # the units' own records (staff count, …): a unit role its own, the others every unit
        return Unit.id == actor.unit_id if unit_role else true()
    if model is ConfigStandard:  # the configuration standards are public rules: anyone signed in reads them
        return true()
    raise KeyError(model)


def scoped(actor: User | None, model: type[T], stmt: Any = None) -> Any:
    """``stmt`` (default: every row of ``model``) narrowed to the rows ``actor`` may see: the one way a list is
    read."""
    actor = require_user(actor)
    return (select(model) if stmt is None else stmt).where(_scope(model, actor))


_LEDGER_MODELS = (Asset, Request, Order, DisposalCase, InventoryCount, PoolListing, Proposal, PurchaseBatch)


def require_ledger_reader(actor: User | None) -> User:
    """The bureau's and the supervisors' views over every unit (statistics, evaluation, idle alerts of all)."""
    actor = require_user(actor)
    if actor.role not in LEDGER:
        raise PermissionDenied("统计报表供公物仓管理员和财政监管查看。" if actor.role in UNIT_ROLES else NOT_THE_SYSADMIN)
    return actor


HIDDEN = "（涉密资产）"


@dataclass(frozen=True)
class HiddenAsset:
    """A confidential asset reached through another object (a count line, an order's items, a disposal) by
    someone who may not see it: neither its tag nor anything else of it. Shaped like an ``Asset`` for templates."""

    id: int
    tag: str = HIDDEN
    name: str = HIDDEN
    brand: str = ""
    model: str = ""
    location: str = ""
    condition: str = ""
    status: str = ""
    status_label: str = ""
    custodian: str = ""
    original_value: None = None
    category_id: None = None
    owner_unit_id: None = None
    hidden: bool = True

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return {"id": self.id, "tag": self.tag, "name": self.name, "hidden": True}


def asset_view(actor: User, asset: Asset) -> Asset | HiddenAsset:
    """The asset as ``actor`` may see it where it is reached through another object."""
    return asset if sees_details(actor, asset) else HiddenAsset(asset.id)
