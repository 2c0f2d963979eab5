"""Refuse TRUNCATE on the change log too (SECURITY.md AU-3): the row trigger of 0002 never sees a TRUNCATE.

A TRUNCATE of a table the change log refers to, with CASCADE, reaches the change log and is refused as well. Only
the owner role can disable the trigger (`kaohe flush` does, for a demo or test database it is told to empty)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION core_changelog_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '变更记录只能追加，不能清空';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_changelog_no_truncate
    BEFORE TRUNCATE ON core_changelog
    FOR EACH STATEMENT EXECUTE FUNCTION core_changelog_no_truncate();
"""

REVERSE = """
DROP TRIGGER IF EXISTS core_changelog_no_truncate ON core_changelog;
DROP FUNCTION IF EXISTS core_changelog_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_unlock_request")]

    operations = [migrations.RunPython(forward, reverse)]
