"""server-side page sessions, login back-off, finance's second approval of a cheap sale

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:50:00

- ``apitoken.kind``: a page cookie now names a session kept on the server ("cookie"), beside the API's bearer
  tokens ("api"); both are revoked when their user's password, role, unit or active state changes.
- ``loginattempt.throttled`` and an index on ``loginattempt.ip``: the back-off per address and per username.
- ``disposalcase.sale_approved_by``: who of finance approved a sale far below book value.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default='api'))
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('throttled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_loginattempt_ip'), ['ip'], unique=False)
    with op.batch_alter_table('disposalcase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sale_approved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_disposalcase_sale_approved_by_user', 'user', ['sale_approved_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('disposalcase', schema=None) as batch_op:
        batch_op.drop_constraint('fk_disposalcase_sale_approved_by_user', type_='foreignkey')
        batch_op.drop_column('sale_approved_by')
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginattempt_ip'))
        batch_op.drop_column('throttled')
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('kind')
