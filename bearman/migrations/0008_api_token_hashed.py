"""API tokens move from DRF's authtoken (keys in clear) to knox (only a hash is kept).

Every existing key keeps working: it is hashed into knox's table, then deleted.
"""

from django.db import migrations


def move_keys_to_hashes(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    for old in Token.objects.all():
        hashed = AuthToken.objects.create(
            digest=hash_token(old.key),
            token_key=old.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=old.user_id,
            expiry=None,
        )
        # auto_now_add stamped it now; the token is as old as it was.
        AuthToken.objects.filter(pk=hashed.pk).update(created=old.created)
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
        ("bearman", "0007_power_bulk"),
    ]

    operations = [
        migrations.DeleteModel(name="ApiToken"),
        migrations.CreateModel(
            name="ApiToken",
            fields=[],
            options={"verbose_name": "API token", "proxy": True, "indexes": [], "constraints": []},
            bases=("knox.authtoken",),
        ),
        # Going back leaves the hashes where they are: the keys themselves are gone.
        migrations.RunPython(move_keys_to_hashes, migrations.RunPython.noop),
    ]
