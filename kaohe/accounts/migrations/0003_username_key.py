"""The normalised log-in name (accounts.names.username_key), unique. Accounts whose keys collide are reported
(they were different to a case-insensitive comparison but are one name now); the later ones get a key of their own
(`name#重名<id>`) and log in under their old name only once the security admin renames them."""

from django.db import migrations, models


def fill_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kaohe.accounts.names import username_key

    User = apps.get_model("accounts", "User")
    seen: dict[str, str] = {}
    for user in User.objects.order_by("pk"):
        key = username_key(user.username)
        if key in seen:
            print(f"\n  账号 {user.username!r} 与 {seen[key]!r} 规范化后同名（{key}），已停用其登录名，请安全管理员改名。")
            key = f"{key}#重名{user.pk}"  # kept apart; usernames cannot hold "#", so no new account takes it
        else:
            seen[key] = user.username
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_password_one_time")]

    operations = [
        migrations.AddField(
            model_name="user", name="username_key",
            field=models.CharField(default="", editable=False, max_length=150, verbose_name="登录名（规范化）"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user", name="username_key",
            field=models.CharField(editable=False, max_length=150, unique=True, verbose_name="登录名（规范化）"),
        ),
    ]
