"""a day's activities in employee order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The refresh streams a day's activities ordered by employee: this index serves the order."""
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_work_date_employee_id', ['work_date', 'employee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_work_date_employee_id')
