"""display keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 16:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A DISPLAY key (a floor screen) is bound to the one team whose leaderboard it shows."""
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_api_keys_team_id_teams'), 'teams', ['team_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_api_keys_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('team_id')
