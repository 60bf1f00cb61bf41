"""Every table of the ledger; import from here."""

from sqlmodel import SQLModel

from .assets import (
    ASSET_STATUSES,
    CONDITIONS,
    LISTING_MODES,
    LISTING_STATUSES,
    USABLE_CONDITIONS,
    Asset,
    PoolListing,
)
from .base import money, utcnow
from .catalog import ApprovalRule, Category, Setting
from .counts import COUNT_ISSUES, RESOLUTIONS, CountLine, InventoryCount
from .disposal import DISPOSAL_METHODS, DISPOSAL_STATUSES, DisposalCase, DisposalItem
from .events import Event, SearchOutbox
from .notices import NOTICE_KINDS, Notice, Wish
from .orders import DAMAGE_CAUSES, ORDER_KINDS, ORDER_STATUSES, DamageRecord, Order, OrderItem, Proposal
from .org import ROLES, ApiToken, LoginAttempt, Unit, User, Warehouse
from .purchasing import BATCH_STATUSES, PurchaseBatch, PurchaseNeed
from .rentals import RentalOffer, RentalVendor
from .requests import PURPOSES, REQUEST_STATUSES, Request, RequestLine

metadata = SQLModel.metadata

__all__ = [
    "ASSET_STATUSES", "Setting", "BATCH_STATUSES", "PurchaseBatch", "PurchaseNeed", "COUNT_ISSUES", "RESOLUTIONS", "CountLine", "InventoryCount", "CONDITIONS", "DAMAGE_CAUSES", "DISPOSAL_METHODS", "DISPOSAL_STATUSES", "LISTING_MODES",
    "LISTING_STATUSES", "LoginAttempt", "NOTICE_KINDS", "Notice", "Wish", "ORDER_KINDS", "ORDER_STATUSES", "PURPOSES", "REQUEST_STATUSES", "ROLES",
    "USABLE_CONDITIONS", "ApiToken", "ApprovalRule", "Asset", "Category", "DamageRecord", "DisposalCase",
    "DisposalItem", "Event", "Order", "OrderItem", "PoolListing", "Proposal", "RentalOffer", "RentalVendor",
    "Request", "RequestLine", "SearchOutbox", "Unit", "User", "Warehouse", "metadata", "money", "utcnow",
]
