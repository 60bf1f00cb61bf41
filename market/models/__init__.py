"""Every table of the ledger; import from here."""

from sqlmodel import SQLModel

from market.models.assets import (
    ASSET_STATUSES,
    CONDITIONS,
    LISTING_MODES,
    LISTING_STATUSES,
    USABLE_CONDITIONS,
    Asset,
    PoolListing,
)
from market.models.base import money, utcnow
from market.models.catalogue import APPROVAL_STEP_STATES, ApprovalRule, ApprovalStep, Category, Setting
from market.models.counts import COUNT_ISSUES, RESOLUTIONS, CountLine, InventoryCount
from market.models.disposal import DISPOSAL_METHODS, DISPOSAL_STATUSES, DisposalCase, DisposalItem
from market.models.events import Event, SearchOutbox
from market.models.notices import CHANNELS, DELIVERY_STATUSES, NOTICE_KINDS, Delivery, Notice, Wish
from market.models.orders import (
    DAMAGE_CAUSES,
    ORDER_KINDS,
    ORDER_STATUSES,
    DamageRecord,
    Order,
    OrderItem,
    Proposal,
)
from market.models.org import ROLES, ApiToken, LoginAttempt, Unit, User, Warehouse
from market.models.purchasing import BATCH_STATUSES, PurchaseBatch, PurchaseNeed
from market.models.rentals import RentalOffer, RentalVendor
from market.models.requests import (
    ACQUISITION_OUTCOMES,
    PURPOSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    Acquisition,
    Request,
    RequestLine,
)
from market.models.standards import ConfigStandard

metadata = SQLModel.metadata

__all__ = [
    "ASSET_STATUSES", "Setting", "BATCH_STATUSES", "PurchaseBatch", "PurchaseNeed", "COUNT_ISSUES", "RESOLUTIONS", "CountLine", "InventoryCount", "CONDITIONS", "DAMAGE_CAUSES", "DISPOSAL_METHODS", "DISPOSAL_STATUSES", "LISTING_MODES",
    "LISTING_STATUSES", "LoginAttempt", "NOTICE_KINDS", "CHANNELS", "DELIVERY_STATUSES", "Delivery", "Notice", "Wish", "ORDER_KINDS", "ORDER_STATUSES", "PURPOSES", "REQUEST_STATUSES", "ROLES",
    "USABLE_CONDITIONS", "ACQUISITION_OUTCOMES", "REQUEST_KINDS", "Acquisition", "ApiToken", "APPROVAL_STEP_STATES", "ApprovalRule", "ApprovalStep", "Asset", "ConfigStandard", "Category", "DamageRecord", "DisposalCase",
    "DisposalItem", "Event", "Order", "OrderItem", "PoolListing", "Proposal", "RentalOffer", "RentalVendor",
    "Request", "RequestLine", "SearchOutbox", "Unit", "User", "Warehouse", "metadata", "money", "utcnow",
]
