"""no overlapping bookings of one item (PostgreSQL exclusion constraint)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Kept in step with OrderItem's ExcludeConstraint in market/models/orders.py. The item is a one-point
# int4range (not ``asset_id WITH =``) so that no extension (btree_gist) has to be installed or found on the
# search_path: range types have GiST operator classes built in.
EXCLUDE = ("ALTER TABLE orderitem ADD CONSTRAINT orderitem_no_overlap EXCLUDE USING gist ("
           "int4range(asset_id, asset_id, '[]') WITH &&, daterange(busy_from, busy_until, '[]') WITH &&"
           ") WHERE (active)")

OVERLAPS = sa.text(
    "SELECT a.asset_id, a.order_id, b.order_id FROM orderitem a JOIN orderitem b"
    " ON a.asset_id = b.asset_id AND a.id < b.id"
    " WHERE a.active AND b.active"
    " AND daterange(a.busy_from, a.busy_until, '[]') && daterange(b.busy_from, b.busy_until, '[]')"
    " ORDER BY a.asset_id LIMIT 5")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: the service layer's check under its single writer
    clashes = bind.execute(OVERLAPS).all()
    if clashes:
        listed = "; ".join(f"asset {a} in orders {o1} and {o2}" for a, o1, o2 in clashes)
        raise RuntimeError(
            "Cannot add orderitem_no_overlap: items are already booked twice for the same days "
            f"({listed}). Cancel one of each pair of orders, then upgrade again.")
    op.execute(EXCLUDE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE orderitem DROP CONSTRAINT orderitem_no_overlap")
