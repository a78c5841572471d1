"""The bench's reference server (tools/bench/reference.py) answers like the Flask app.

Its row in `make bench` is the ceiling the apps are compared with, so it must do the same
work: on one SQLite database loaded through the Flask app, every read scenario's response
from the reference must equal the Flask app's, key order included.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.bench import dataset
from tools.bench.servers import Server, migrate

pytestmark = pytest.mark.managed_servers  # starts its own servers, so not with --base-url
Response = tuple[int, Any]


def get(port: int, path: str, token: str | None = None) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"Token {token}"} if token else {})
    response = connection.getresponse()
    body = json.loads(response.read(), object_pairs_hook=list)  # lists of pairs keep key order
    connection.close()
    return response.status, body


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Any]]:
    work: Path = tmp_path_factory.mktemp("bench-reference")
    url = f"sqlite:///{work / 'conduit.sqlite3'}"
    migrate("flask", url, work / "migrate.log")
    flask = Server("flask", "production", url, work / "flask.log")
    reference = Server("reference", "production", url, work / "reference.log")
    try:
        flask.start()
        data = dataset.build(users=6, articles=30, comments=5)
        loaded = dataset.load(flask.port, data, "flask")
        reference.start()
        yield flask, reference, (data, loaded)
    finally:
        flask.stop()
        reference.stop()


def requests(data: dataset.DataSet, loaded: dataset.Loaded) -> list[tuple[str, str | None]]:
    """Every read scenario of the bench, anonymous and signed in, with paging and a 404."""
    tag = data.articles[0]["tagList"][0]
    slug = loaded.slugs[3]
    cases: list[tuple[str, str | None]] = []
    for token in (None, *loaded.tokens[:3]):
        cases += [("/api/articles", token), (f"/api/articles?tag={tag}", token),
                  ("/api/articles?limit=4&offset=2", token), (f"/api/articles/{slug}", token),
                  ("/api/articles/no-such-article", token), ("/api/tags", token)]  # fmt: skip
        if token:
            cases.append(("/api/articles/feed", token))
    return cases


def test_reference_answers_every_read_scenario_like_flask(
    servers: tuple[Server, Server, Any],
) -> None:
    flask, reference, (data, loaded) = servers
    cases = requests(data, loaded)
    for path, token in cases:
        expected = get(flask.port, path, token)
        assert get(reference.port, path, token) == expected, (path, token is not None)
    # The comparison covers the per-viewer values, not only their defaults.
    text = json.dumps([get(flask.port, path, token) for path, token in cases])
    assert '["favorited", true]' in text
    assert '["following", true]' in text
    assert '["articlesCount", 30]' in text
