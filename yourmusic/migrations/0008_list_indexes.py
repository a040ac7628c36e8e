from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_cors_origins')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Playlist',
            name=None,
            fields=['user_id', 'created_at'],
        ),
        ops.AddIndex(
            model_name='Playlist',
            index=Index(fields=['user_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Product',
            index=Index(fields=['tenant_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['tenant_id', 'created_at', 'id']),
        ),
    ]
