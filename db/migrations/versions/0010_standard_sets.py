"""standard sets, and the set each daily score was computed with

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import db.types


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The figures scoring used, content-addressed, and on each daily score the set it was
    computed with (null for the scores computed before: their standards were not recorded)."""
    op.create_table('standard_sets',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idle_threshold_minutes', sa.Double(), nullable=False),
    sa.Column('productivity_goal', sa.Double(), nullable=False),
    sa.Column('leaderboard_min_available_minutes', sa.Double(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_sets'))
    )
    with op.batch_alter_table('daily_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard_set_id', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_daily_scores_standard_set_id_standard_sets'), 'standard_sets', ['standard_set_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('daily_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_daily_scores_standard_set_id_standard_sets'), type_='foreignkey')
        batch_op.drop_column('standard_set_id')
    op.drop_table('standard_sets')
