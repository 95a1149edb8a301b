"""learned aliases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learned_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phrase', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('sender_id', sa.String(length=64), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('phrase', 'sender_id')
    )
    with op.batch_alter_table('learned_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learned_alias_phrase'), ['phrase'], unique=False)
        batch_op.create_index(batch_op.f('ix_learned_alias_updated_at'), ['updated_at'],
                              unique=False)
        # NULLs are distinct in the unique constraint above: one global row per phrase.
        batch_op.create_index('ux_learned_alias_global_phrase', ['phrase'], unique=True,
                              sqlite_where=sa.text('sender_id IS NULL'),
                              postgresql_where=sa.text('sender_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('learned_alias', schema=None) as batch_op:
        batch_op.drop_index('ux_learned_alias_global_phrase')
        batch_op.drop_index(batch_op.f('ix_learned_alias_updated_at'))
        batch_op.drop_index(batch_op.f('ix_learned_alias_phrase'))

    op.drop_table('learned_alias')
