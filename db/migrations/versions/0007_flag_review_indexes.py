"""flag review indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:05:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The `flags` list, newest work date first: by team and status, or over all flags."""
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_team_id_status_work_date', ['team_id', 'status', 'work_date'], unique=False)
        batch_op.create_index('ix_flags_work_date', ['work_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_work_date')
        batch_op.drop_index('ix_flags_team_id_status_work_date')
