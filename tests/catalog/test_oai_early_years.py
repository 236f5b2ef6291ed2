"""A harvester asking for records from or until a year before 1000 gets the protocol's badArgument, not a 500:
strftime wrote such a year without its leading zeros ("1-01-01T..."), which the query then failed to read back."""

from __future__ import annotations

import base64
import json

import pytest

from tests.catalog.helpers import make
from tests.catalog.test_oai_tokens import _served


@pytest.fixture
def published(db):
    make(publish=True)
    db.session.commit()


@pytest.mark.parametrize("arg", ["from=0001-01-01", "until=0999-12-31", "from=0100-01-01T00:00:00Z",
                                 "from=0001-01-01&until=2030-01-01"])
@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_a_year_before_1000_is_a_bad_argument(client, published, verb, arg):
    response = _served(client, f"/oai?verb={verb}&metadataPrefix=oai_dc&{arg}")
    assert response.status_code == 200
    assert b'code="badArgument"' in response.data and b"<header" not in response.data


def test_the_year_1000_still_harvests(client, published):
    response = _served(client, "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&from=1000-01-01")
    assert response.status_code == 200 and b"<header" in response.data and b"<error" not in response.data


def test_a_token_with_a_year_before_1000_is_a_bad_resumption_token(client, published):
    state = {"p": "oai_dc", "a": None, "i": 0, "c": 0, "f": "0999-01-01T00:00:00Z"}
    token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    response = _served(client, f"/oai?verb=ListIdentifiers&resumptionToken={token}")
    assert response.status_code == 200 and b'code="badResumptionToken"' in response.data
