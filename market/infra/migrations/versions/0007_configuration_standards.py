"""configuration standards, staff counts, disposal before the minimum service life

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 17:20:00

- ``configstandard``: per category, the price cap (plain or by rank), the quantity cap as a share of the
  unit's 编制内实有人数 (and for units with a confidential network), the group of categories sharing one
  quantity cap, the minimum service life and the depreciation life.
- ``unit.staff_count`` (编制内实有人数, 0 = unknown) and ``unit.confidential_network``.
- ``disposalcase.early_reason`` and ``disposalcase.early_approved_by``: a disposal before the minimum
  service life, allowed only for damage beyond repair, says why and who gave the extra approval.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'configstandard',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('price_cap', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('price_cap_senior', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('price_cap_junior', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('quantity_share', sa.Integer(), nullable=True),
        sa.Column('quantity_share_confidential', sa.Integer(), nullable=True),
        sa.Column('quantity_group', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('min_life_years', sa.Integer(), nullable=True),
        sa.Column('depreciation_years', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['category.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('category_id'),
    )
    # a plain ADD COLUMN (not a batch copy): on SQLite a copy of ``unit`` would trip every foreign key to it
    op.add_column('unit', sa.Column('staff_count', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('unit', sa.Column('confidential_network', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('disposalcase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('early_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('early_approved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_disposalcase_early_approved_by_user', 'user', ['early_approved_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('disposalcase', schema=None) as batch_op:
        batch_op.drop_constraint('fk_disposalcase_early_approved_by_user', type_='foreignkey')
        batch_op.drop_column('early_approved_by')
        batch_op.drop_column('early_reason')
    op.drop_column('unit', 'confidential_network')
    op.drop_column('unit', 'staff_count')
    op.drop_table('configstandard')
