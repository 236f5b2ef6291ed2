"""A forged OAI-PMH resumptionToken (the state is only base64 JSON, so anyone can write one) is answered with the
protocol's badResumptionToken, whatever its fields hold, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from catalog import oai
from tests.catalog.helpers import make

GOOD = {"p": "oai_dc", "a": None, "i": 0, "c": 0}


def _token(state: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _served(client, url: str):
    client.application.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the 500 page, not a raised error
    return client.get(url)


@pytest.fixture
def published(db):
    make(publish=True)
    db.session.commit()


@pytest.mark.parametrize("state", [
    {**GOOD, "a": 5},                                  # a number where a time stamp is expected
    {**GOOD, "a": "yesterday"},                        # text that is no time stamp
    {**GOOD, "a": "2025-01-01T00:00:00Z.0000001"},     # almost the format
    {**GOOD, "f": "x"},                                # a bad from
    {**GOOD, "u": 20250101},                           # a number as until
    {**GOOD, "u": "9999-12-31T23:59:59Z"},             # the last second there is: one more overflows
    {**GOOD, "s": ["menu"]},                           # a list as set
    {**GOOD, "s": None},
    {**GOOD, "p": ["oai_dc"]},                         # a list as prefix
    {**GOOD, "p": "marc21"},                           # a prefix we never issue
    {**GOOD, "i": "0"},                                # text as id
    {**GOOD, "i": True},                               # a boolean is an int to Python
    {**GOOD, "i": 2 ** 70},                            # past any database integer
    {**GOOD, "i": 1.5},
    {**GOOD, "c": -1},
    {**GOOD, "c": {"n": 1}},
    {**GOOD, "x": 1},                                  # a field we never write
    [GOOD],                                            # not an object
])
@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_a_forged_token_is_a_bad_resumption_token(client, published, state, verb):
    response = _served(client, f"/oai?verb={verb}&resumptionToken={_token(state)}")
    assert response.status_code == 200 and b'code="badResumptionToken"' in response.data


def test_a_token_we_issue_still_reads(app):
    state = {**GOOD, "a": "2025-01-01T00:00:00Z.123456", "i": 7, "c": 100, "f": "2024-01-01T00:00:00Z",
             "u": "2025-12-31T23:59:59Z", "s": "menu:01"}
    assert oai._decode(oai._encode(state)) == state


def test_until_at_the_end_of_time_is_a_bad_argument(client, published):
    response = _served(client, "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&until=9999-12-31")
    assert response.status_code == 200 and b'code="badArgument"' in response.data
