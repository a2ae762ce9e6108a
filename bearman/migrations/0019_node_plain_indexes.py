# Plain indexes on the node's text columns, without the LIKE index each db_index added.

import bearman.states
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bearman', '0018_boot_step_one_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='node',
            name='availability_zone',
            field=models.CharField(default='default', max_length=64),
        ),
        migrations.AlterField(
            model_name='node',
            name='power_state',
            field=models.CharField(choices=[('on', 'On'), ('off', 'Off'), ('unknown', 'Unknown')], default='unknown', max_length=8),
        ),
        migrations.AlterField(
            model_name='node',
            name='serial',
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AlterField(
            model_name='node',
            name='status',
            field=models.CharField(choices=[('discovered', 'Discovered'), ('registered', 'Registered'), ('ready', 'Ready'), ('maintenance', 'Maintenance'), ('retired', 'Retired'), ('error', 'Error')], default=bearman.states.NodeStatus['REGISTERED'], max_length=16),
        ),
        migrations.AlterField(
            model_name='node',
            name='vendor',
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AddIndex(
            model_name='node',
            index=models.Index(fields=['serial'], name='node_serial'),
        ),
        migrations.AddIndex(
            model_name='node',
            index=models.Index(fields=['vendor'], name='node_vendor'),
        ),
        migrations.AddIndex(
            model_name='node',
            index=models.Index(fields=['availability_zone'], name='node_zone'),
        ),
        migrations.AddIndex(
            model_name='node',
            index=models.Index(fields=['status'], name='node_status'),
        ),
        migrations.AddIndex(
            model_name='node',
            index=models.Index(fields=['power_state'], name='node_power_state'),
        ),
    ]
