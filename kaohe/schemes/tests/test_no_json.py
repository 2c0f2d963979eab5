"""No JSON where a user looks: every scheme page of a draft year, GET as the district admin, holds no JSON in a
field and shows no JSON syntax."""

from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, get_resolver, reverse

from kaohe.accounts.choices import Role
from kaohe.schemes import services
from kaohe.schemes.models import Target
from kaohe.test import WorldTestCase, world_scheme

YEAR = 2034
# An object's opening brace and quoted key ({"family": …}, escaped or not), or a list of objects.
JSON_SYNTAX = re.compile(r"\{\s*(\"|&quot;|&#x27;|')[A-Za-z_]+(\"|&quot;|&#x27;|')\s*:|\[\s*\{")


def scheme_routes() -> list[URLPattern]:
    resolver = get_resolver()
    namespace = resolver.namespace_dict["schemes"][1]
    return [p for p in namespace.url_patterns if isinstance(p, URLPattern)]


class NoJsonOnSchemePages(WorldTestCase):
    def test_no_scheme_page_of_a_draft_holds_or_shows_json(self) -> None:
        admin = self.users[Role.DISTRICT_ADMIN]
        scheme = world_scheme(YEAR, admin)
        services.scheme_update(
            scheme=scheme, by=admin,
            data={"grade_rule": {"method": "bands", "bands": [{"min": "90", "grade": "优秀"}], "else": "合格"}},
        )  # fmt: skip
        services.indicator_update(
            indicator=scheme.indicators.get(code="ind1"), by=admin,
            data={"rule": {"family": "bands", "bands": [{"min": "1", "points": "40"}, {"min": "0.5", "points": "20"}]},
                  "plan_curve": ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "1"]},
        )  # fmt: skip
        item = services.item_type_create(scheme=scheme, by=None, kind="bonus", code="zs", name="招商", points=1)
        samples: dict[str, Any] = {
            "ref": str(YEAR),
            "year": YEAR,
            "indicator_id": scheme.indicators.get(code="ind1").pk,
            "category": "jjfz",
            "item_type": item.code,
            "target_id": Target.objects.filter(indicator__scheme=scheme).order_by("pk")[0].pk,
        }
        client = self.client_for(Role.DISTRICT_ADMIN)
        seen = 0
        for route in scheme_routes():
            keys = set(route.pattern.converters)
            if not keys <= set(samples):
                continue  # adjustments and item records: none in a draft
            url = reverse(f"schemes:{route.name}", kwargs={k: samples[k] for k in keys})
            response = client.get(url)
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            seen += 1
            page = response.content.decode()
            found = JSON_SYNTAX.search(page)
            with self.subTest(url=url):
                self.assertIsNone(found, page[max(0, found.start() - 200) : found.end() + 200] if found else "")
                self.assertNotIn("JSON", page)
        self.assertGreaterEqual(seen, 10)  # the pages were really looked at
