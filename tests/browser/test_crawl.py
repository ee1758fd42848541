"""Every persona sees only links it can use (issue 12): in a real Chromium, each demo user opens the dashboard,
follows every link the pages show (two clicks deep, same site, one visit per route shape), and no link answers 4xx or 5xx."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from surveys.demo import DEMO_PASSWORD, build_demo
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSONAS = ["officer", "officer2", "chairman", "district", "department", "api_reader", "admin"]
SKIP = ("/accounts/logout/", "/i18n/", "/admin/logout/", "/api/docs/", "/api/redoc/", "/static/")
MAX_PAGES = 45  # per persona: the register's pages and a list's households repeat the same routes
HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']+)["']""", re.I)


def _links(base: str, url: str, html: str) -> list[str]:
    found = []
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith(("mailto:", "tel:", "javascript:", "#", "data:")):
            continue
        target, _fragment = urldefrag(urljoin(url, href))
        if urlparse(target).netloc != urlparse(base).netloc or urlparse(target).path.startswith(SKIP):
            continue
        found.append(target)
    return found


def _route_key(url: str) -> str:
    """One visit per route shape: /households/A-1/ and /households/A-2/ are the same page, and so are a report's
    other rounds and units (its query)."""
    return re.sub(r"/[^/]*\d[^/]*(?=/)", "/N", urlparse(url).path)


def test_every_link_a_persona_is_shown_answers(live_server, page):
    build_demo(households_per_commune=2)
    base = live_server.url
    failures = []
    for persona in PERSONAS:
        page.context.clear_cookies()
        login(page, base, persona, DEMO_PASSWORD)
        page.wait_for_load_state("networkidle")  # the dashboard's chart fragment arrives through htmx
        queue = deque((link, 1, f"{base}/") for link in _links(base, page.url, page.content()))
        seen_routes, visited = set(), 0
        while queue and visited < MAX_PAGES:
            url, depth, source = queue.popleft()
            key = _route_key(url)
            if key in seen_routes:
                continue
            seen_routes.add(key)
            visited += 1
            response = page.request.get(url, max_redirects=5)
            if response.status >= 400:
                failures.append(f"{persona}: {url} → {response.status} (linked from {source})")
                continue
            if depth < 2 and "text/html" in response.headers.get("content-type", "") and "/admin/" not in url:
                queue.extend((link, depth + 1, url) for link in _links(base, url, response.text()))
        assert visited > 5, f"{persona} was shown almost nothing"
    assert not failures, "\n".join(failures)
