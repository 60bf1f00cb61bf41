"""search outbox: rows that name a changed category, unit, warehouse, rental vendor or offer

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 20:45:00

A search document reads more than its listing: its category's name and path, its holder's or warehouse's name,
district and place, its vendor's name and place, its offer's prices. A change of one of those rows now queues
every document that reads it (``source``, ``source_id``), so a renamed category, a moved unit or a new rental
price shows in search without a rebuild. ``listing_id`` is empty on such a row.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('searchoutbox', schema=None) as batch_op:
        batch_op.alter_column('listing_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM searchoutbox WHERE listing_id IS NULL")
    with op.batch_alter_table('searchoutbox', schema=None) as batch_op:
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
        batch_op.alter_column('listing_id', existing_type=sa.Integer(), nullable=False)
