from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.test import SimpleTestCase, override_settings

from kaohe.core.storage import StaticStorage


@override_settings(DEBUG=False, STATIC_URL="/static/")
class StaticStorageTests(SimpleTestCase):
    def storage(self, root: str) -> StaticStorage:
        manifest = {"version": "1.1", "paths": {"kaohe/app.css": "kaohe/app.0123456789ab.css"}, "hash": "x"}
        Path(root, "staticfiles.json").write_text(json.dumps(manifest))
        return StaticStorage(location=root, base_url="/static/")

    def test_an_address_is_the_manifests_hashed_name_and_is_looked_up_once(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            storage = self.storage(root)
            self.assertEqual(storage.url("kaohe/app.css"), "/static/kaohe/app.0123456789ab.css")
            storage.hashed_files = {}  # the manifest is not read again for a name already looked up
            self.assertEqual(storage.url("kaohe/app.css"), "/static/kaohe/app.0123456789ab.css")

    def test_a_name_missing_from_the_manifest_is_still_an_error(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            storage = self.storage(root)
            with self.assertRaises(ValueError):
                storage.url("kaohe/missing.css")
            with self.assertRaises(ValueError):  # and is not remembered as an address
                storage.url("kaohe/missing.css")
