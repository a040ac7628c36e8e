from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_streaming')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CorsOrigin',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='cors_origins', on_delete=OnDelete.CASCADE)),
                ('origin', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'cors_origins', 'app': 'models', 'unique_together': (('tenant', 'origin'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
