"""The list pages' filter controls (built from the schema) and the global search's
suggestions."""

from __future__ import annotations

import re

import pytest
from web_kit import post, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_smoke(app):
    client = web_client(app, "boss")
    page = _text(client.get("/app/contacts/persons?view="))
    start = page.index('<details class="filter-pick"')
    print(page[start:page.index("</details>", start)])
    assert 0
