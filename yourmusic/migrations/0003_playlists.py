from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_passwordless')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Playlist',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='playlists', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='playlists', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=255)),
                ('public', fields.BooleanField(default=False)),
                ('track_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'playlists', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'public']), Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlaylistTrack',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('playlist', fields.ForeignKeyField('models.Playlist', source_field='playlist_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('track_id', fields.CharField(max_length=64)),
                ('position', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'playlist_tracks', 'app': 'models', 'indexes': [Index(fields=['playlist_id', 'position'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
