from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_billing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlayStart',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='play_starts', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='play_starts', on_delete=OnDelete.SET_NULL)),
                ('device_id', fields.UUIDField(null=True)),
                ('track_id', fields.CharField(max_length=64)),
                ('stream_id', fields.UUIDField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'play_starts', 'app': 'models', 'indexes': [Index(fields=['user_id', 'stream_id', 'started_at']), Index(fields=['tenant_id', 'started_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlayReport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='play_reports', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='play_reports', on_delete=OnDelete.SET_NULL)),
                ('play_start', fields.ForeignKeyField('models.PlayStart', source_field='play_start_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('device_id', fields.UUIDField(null=True)),
                ('stream_id', fields.UUIDField()),
                ('track_id', fields.CharField(max_length=64)),
                ('play_mode', fields.CharField(max_length=16)),
                ('total_time_played', fields.IntField()),
                ('played_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('forwarded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claim', fields.UUIDField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'play_reports', 'app': 'models', 'unique_together': (('user', 'stream_id', 'played_at'),), 'indexes': [Index(fields=['forwarded_at', 'next_attempt_at']), Index(fields=['claim'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
