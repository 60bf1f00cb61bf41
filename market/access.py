"""Who may do what: capabilities per role, the unit scope, and configurable approval rules."""

from __future__ import annotations

from market.errors import NotAuthenticated, PermissionDenied
from market.models import User

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


def require_for_assets(actor: User | None, capability: str, owner_unit_id: int | None,
                       warehouse_stock: bool) -> User:
    """``require`` for acting on assets of one owner. Warehouse stock (items kept in a 公物仓) is handled by the
    warehouse administrators alone, although on the books it belongs to the bureau that runs the warehouse: that
    unit's own staff and managers act only on its office assets."""
    actor = require(actor, capability, owner_unit_id)
    if warehouse_stock and actor.role != "warehouse_admin":
        raise PermissionDenied("公物仓库存只能由公物仓管理员办理。")
    return actor




