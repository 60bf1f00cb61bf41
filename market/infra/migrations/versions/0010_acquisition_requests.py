"""acquisition requests (配置申请)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:30:00

- ``request.kind``: "use" (a need for items, as before) or "acquisition" (a unit asks to buy: the pool first,
  then the configuration standards, then central purchasing).
- ``acquisition``: an acquisition request's price, rank, reason, the pool's offer and the standards check.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import market.models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                      server_default='use'))
        batch_op.create_index(batch_op.f('ix_request_kind'), ['kind'], unique=False)
    op.create_table(
        'acquisition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('rank', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('exception_wanted', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('proposal_id', sa.Integer(), nullable=True),
        sa.Column('pool_offered', sa.Integer(), nullable=False),
        sa.Column('pool_taken', sa.Integer(), nullable=False),
        sa.Column('decline_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('remainder', sa.Integer(), nullable=False),
        sa.Column('check', sa.JSON(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('over_price', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('over_quantity', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', market.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(['decided_by'], ['user.id']),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id']),
        sa.ForeignKeyConstraint(['request_id'], ['request.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id'),
    )
    with op.batch_alter_table('acquisition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acquisition_outcome'), ['outcome'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('acquisition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acquisition_outcome'))
    op.drop_table('acquisition')
    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_kind'))
        batch_op.drop_column('kind')
