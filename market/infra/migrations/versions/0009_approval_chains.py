"""approval chains: a rule's ordered approver roles, each document's steps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:20:00

- ``approvalrule.steps`` (JSON list of roles, in order) replaces ``approvalrule.role``: every existing rule
  becomes a one-step chain of its role.
- ``approvalstep``: one row per step of a document's chain (request, disposal case, ownership transfer), who
  decided it and when.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import market.models.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_rules = sa.table('approvalrule', sa.column('id', sa.Integer()), sa.column('role', sa.String()),
                  sa.column('steps', sa.JSON()))


def upgrade() -> None:
    op.create_table('approvalstep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', market.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'subject_id', 'position')
    )
    with op.batch_alter_table('approvalstep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvalstep_subject_id'), ['subject_id'], unique=False)
    with op.batch_alter_table('approvalrule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('steps', sa.JSON(), nullable=True))
    conn = op.get_bind()
    for rule_id, role in conn.execute(sa.select(_rules.c.id, _rules.c.role)).all():
        conn.execute(_rules.update().where(_rules.c.id == rule_id).values(steps=[role]))
    with op.batch_alter_table('approvalrule', schema=None) as batch_op:
        batch_op.alter_column('steps', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('role')


def downgrade() -> None:
    with op.batch_alter_table('approvalrule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    conn = op.get_bind()
    for rule_id, steps in conn.execute(sa.select(_rules.c.id, _rules.c.steps)).all():  # a chain keeps its last role
        conn.execute(_rules.update().where(_rules.c.id == rule_id).values(role=(steps or ["warehouse_admin"])[-1]))
    with op.batch_alter_table('approvalrule', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch_op.drop_column('steps')
    with op.batch_alter_table('approvalstep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvalstep_subject_id'))
    op.drop_table('approvalstep')
