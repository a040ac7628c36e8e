from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from yourmusic.models.users import UserStatus
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Tenant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tenants', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiClient',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='clients', on_delete=OnDelete.CASCADE)),
                ('client_id', fields.CharField(unique=True, max_length=64)),
                ('secret_hash', fields.CharField(max_length=64)),
                ('name', fields.CharField(default='', max_length=255)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'api_clients', 'app': 'models', 'pk_attr': 'id', 'table_description': "A tenant backend's OAuth2 client. Only a SHA-256 of the (256-bit random) secret is stored."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=255)),
                ('email_key', fields.CharField(max_length=255)),
                ('first_name', fields.CharField(max_length=255)),
                ('last_name', fields.CharField(max_length=255)),
                ('date_of_birth', fields.DateField()),
                ('status', fields.CharEnumField(default=UserStatus.UNSUBSCRIBED, description='SUBSCRIBED: SUBSCRIBED\nUNSUBSCRIBED: UNSUBSCRIBED\nPAST_DUE: PAST_DUE', enum_type=UserStatus, max_length=16)),
                ('subscription_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pm_type', fields.CharField(null=True, max_length=32)),
                ('pm_last_four', fields.CharField(null=True, max_length=4)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'models', 'unique_together': (('tenant', 'email_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
