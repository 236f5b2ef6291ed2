"""heartbeat trust: learner_clocks (the physical limit on watched time), refusal counts on enrolments

Revision ID: 0011_heartbeat_trust
Revises: 0010_account_trust
Create Date: 2026-12-03 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_heartbeat_trust'
down_revision = '0010_account_trust'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('learner_clocks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cursor_ms', sa.BigInteger(), nullable=False),
    sa.Column('spare_s', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learner_clocks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_learner_clocks'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refusals', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_refusal', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_refused_at', sa.DateTime(), nullable=True))
    # Learners already studying start at their latest activity: time before it cannot be claimed afterwards.
    # (62.0 = learning.pace.SLACK_S; epoch milliseconds computed per dialect.)
    millis = ("CAST(EXTRACT(EPOCH FROM MAX(last_active_at)) * 1000 AS BIGINT)"
              if op.get_context().dialect.name == 'postgresql'
              else "CAST((julianday(MAX(last_active_at)) - 2440587.5) * 86400000 AS INTEGER)")
    op.execute(f"INSERT INTO learner_clocks (user_id, cursor_ms, spare_s, version) "
               f"SELECT user_id, {millis}, 62.0, 0 FROM enrolments GROUP BY user_id")


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('last_refused_at')
        batch_op.drop_column('last_refusal')
        batch_op.drop_column('refusals')
    op.drop_table('learner_clocks')
