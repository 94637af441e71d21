"""ticks to the millisecond

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 22:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A write's tick names its millisecond (``2026-12-05T21:35:38.123Z``), and with a chunk's
    or a day's date after it no longer fits 32 characters."""
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.alter_column('tick', existing_type=sa.String(length=32),
                              type_=sa.String(length=48), existing_nullable=False)
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=40),
                              type_=sa.String(length=48), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=48),
                              type_=sa.String(length=40), existing_nullable=True)
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.alter_column('tick', existing_type=sa.String(length=48),
                              type_=sa.String(length=32), existing_nullable=False)
