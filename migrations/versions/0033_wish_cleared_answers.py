"""every organisation whose answer to a 我想学 wish the union cleared, not only the latest

Revision ID: 0033_wish_cleared_answers
Revises: 0032_id_number_forms
Create Date: 2026-12-07 10:00:00

An organisation whose answer the area's union cleared may not answer the wish again (learning/wishes.py), but the
wish kept only its latest answerer: once a second organisation's answer was cleared too, the first answered again
and every voter was told once more. Each cleared answerer now has a row. Wishes already open again with an answerer
on file (cleared, or their course deleted, both refused until now) get that answerer's row, so the refusal outlives
the next clear."""
import sqlalchemy as sa
from alembic import op

revision = '0033_wish_cleared_answers'
down_revision = '0032_id_number_forms'
branch_labels = None
depends_on = None


def upgrade():
    cleared = op.create_table(
        'learning_wish_cleared_answers',
        sa.Column('wish_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_learning_wish_cleared_answers_org_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['wish_id'], ['learning_wishes.id'],
                                name=op.f('fk_learning_wish_cleared_answers_wish_id_learning_wishes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('wish_id', 'org_id', name=op.f('pk_learning_wish_cleared_answers')),
    )
    wishes = sa.table('learning_wishes', sa.column('id', sa.Integer), sa.column('resource_id', sa.Integer),
                      sa.column('answered_by_id', sa.Integer))
    op.execute(cleared.insert().from_select(
        ['wish_id', 'org_id'], sa.select(wishes.c.id, wishes.c.answered_by_id)
        .where(wishes.c.resource_id.is_(None), wishes.c.answered_by_id.is_not(None))))


def downgrade():
    op.drop_table('learning_wish_cleared_answers')
