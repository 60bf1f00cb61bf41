"""notices through outside channels: users' e-mail and channel choices, the delivery outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 17:30:00

- ``user.email``, ``user.notify_email``, ``user.notify_chat``: where a user's notices go besides the app.
- ``delivery``: one notice to send by e-mail or to the work-chat robot, written with the notice and sent
  after commit, retried with back-off.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from market.models.base import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('notify_chat', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_delivery_due', 'delivery', ['status', 'next_at'], unique=False)
    op.create_index(op.f('ix_delivery_notice_id'), 'delivery', ['notice_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_delivery_notice_id'), table_name='delivery')
    op.drop_index('ix_delivery_due', table_name='delivery')
    op.drop_table('delivery')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('notify_chat')
        batch_op.drop_column('notify_email')
        batch_op.drop_column('email')
