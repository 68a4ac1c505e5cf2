"""Behind a reverse proxy (PROXY_COUNT) each citizen is counted at their own address, not
all of them at the proxy's; without it a forged X-Forwarded-For changes nothing."""
from __future__ import annotations

from web import create_app

FORGED_LINK = "/api/v1/surveys/not-a-signed-token"


def hits(client, address: str, times: int) -> list[int]:
    return [client.get(FORGED_LINK, headers={"X-Forwarded-For": address}).status_code
            for _ in range(times)]


def app_with(**config):
    return create_app("testing", {"RATELIMIT_SURVEY": "2 per minute", **config}).test_client()


def test_behind_one_proxy_each_client_has_its_own_count():
    client = app_with(PROXY_COUNT=1)
    assert hits(client, "203.0.113.1", 3) == [404, 404, 429]
    assert hits(client, "203.0.113.2", 1) == [404]


def test_without_a_proxy_the_header_is_not_trusted():
    client = app_with(PROXY_COUNT=0)
    assert hits(client, "203.0.113.1", 2) == [404, 404]
    assert hits(client, "203.0.113.2", 1) == [429]  # same connecting address: same count
