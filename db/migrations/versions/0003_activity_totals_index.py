"""an employee's day of activities, covering its totals per role

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The new index first: MariaDB keeps an index for the employee_id foreign key throughout.
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_employee_day_totals', ['employee_id', 'work_date', 'role_id', 'items_count', 'voided_at'], unique=False)
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_employee_id_work_date')


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_employee_id_work_date', ['employee_id', 'work_date'], unique=False)
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_employee_day_totals')
