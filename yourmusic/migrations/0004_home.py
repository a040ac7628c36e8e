from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_playlists')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HomePage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.OneToOneField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='home_page', on_delete=OnDelete.CASCADE)),
                ('slug', fields.CharField(default='home', max_length=64)),
                ('title', fields.CharField(max_length=255)),
                ('modules', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'home_pages', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
