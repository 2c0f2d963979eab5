"""Make the change log append-only on PostgreSQL: UPDATE and DELETE raise (SECURITY.md AU-3)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION core_changelog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '变更记录只能追加，不能修改或删除';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_changelog_append_only
    BEFORE UPDATE OR DELETE ON core_changelog
    FOR EACH ROW EXECUTE FUNCTION core_changelog_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS core_changelog_append_only ON core_changelog;
DROP FUNCTION IF EXISTS core_changelog_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
