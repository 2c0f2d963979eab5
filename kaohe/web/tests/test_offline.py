"""No internet on a government intranet: no page and no static file may load anything from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from kaohe.test import ALL_ROLES, WorldTestCase
from kaohe.web.tests.test_routes import declared_permission, iter_patterns

# Attributes and CSS constructs through which a browser fetches something by itself.
FETCHING_HTML = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
FETCHING_CSS = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.IGNORECASE)
FETCHING_JS = re.compile(
    r"""(?:(?:fetch|importScripts|import)\s*\(\s*["'](?:https?:)?//|\.src\s*=\s*["'](?:https?:)?//)""", re.IGNORECASE
)


def static_files() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "kaohe" / "static"]
    return [p for root in roots for p in root.rglob("*") if p.is_file() and p.suffix in {".css", ".js", ".html"}]


class OfflineTests(WorldTestCase):
    def test_vendor_assets_are_served_by_kaohe_itself(self) -> None:
        names = {p.name for p in static_files()}
        self.assertTrue({"bootstrap.min.css", "bootstrap.bundle.min.js", "htmx.min.js", "echarts.min.js"} <= names)

    def test_no_static_file_fetches_from_another_origin(self) -> None:
        offenders = []
        for path in static_files():
            text = path.read_text(encoding="utf-8", errors="replace")
            pattern = FETCHING_CSS if path.suffix == ".css" else FETCHING_JS if path.suffix == ".js" else FETCHING_HTML
            offenders += [f"{path.name}: {m.group(0)}" for m in pattern.finditer(text)]
        self.assertEqual(offenders, [])

    def test_no_rendered_page_references_another_origin(self) -> None:
        pages = [self.client.get("/login/")]
        for role in ALL_ROLES:
            client = self.client_for(role)
            for name, pattern in iter_patterns():
                if pattern.pattern.regex.groupindex or declared_permission(pattern) is None:
                    continue
                response = client.get(reverse(name))
                if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                    pages.append(response)
        self.assertGreater(len(pages), 20)
        for response in pages:
            html = response.content.decode()
            self.assertEqual(FETCHING_HTML.findall(html), [], response.wsgi_request.path)
            self.assertEqual(FETCHING_CSS.findall(html), [], response.wsgi_request.path)

    def test_the_scanner_would_catch_a_cdn_link(self) -> None:
        cdn = "https://cdn.example.com/htmx.js"
        self.assertTrue(FETCHING_HTML.search(f'<script src="{cdn}"></script>'))
        self.assertTrue(FETCHING_CSS.search("@import url(//fonts.example.com/css)"))
        self.assertTrue(FETCHING_JS.search('s.src = "https://cdn.example.com/x.js"'))
