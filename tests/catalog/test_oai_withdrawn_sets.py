"""OAI-PMH and a withdrawn resource edited since: its header says status="deleted" and must not carry the category
its provider is now drafting (a harvester learnt the draft category from the setSpec), nor may the draft's set
list it. A harvester of the set it was published in learns of it through the unfiltered lists (deletedRecord is
transient); union sets are the union's own choice, not the provider's draft, and stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import oai, service, union_catalogs
from tests.catalog.helpers import make

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "harvest.xsd")))
NS = {"o": oai.OAI}
PUBLISHED_IN, DRAFTED_IN = "literacy-safety", "skills-energy"


@pytest.fixture
def harvest(client):
    def get(**args):
        response = client.get("/oai", query_string=args)
        assert response.status_code == 200
        document = etree.fromstring(response.data)
        SCHEMA.assertValid(document)
        return document
    return get


@pytest.fixture
def withdrawn(db):
    """Published under 安全 (literacy-safety), listed by union 330100's catalog, then withdrawn and moved to 能源
    (skills-energy) as a draft; a published neighbour stays in the draft's category."""
    resource = make(title="安全用电", publish=True, category=PUBLISHED_IN)
    make(title="节能常识", publish=True, category=DRAFTED_IN)
    catalog = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"))
    union_catalogs.add_resource(db.session, SYSTEM, catalog, catalog.sections[0].id, resource.id)
    service.withdraw(db.session, SYSTEM, resource, "改版")
    service.update_resource(db.session, SYSTEM, resource, {
        "title": "【草稿】新能源", "kind": "micro_course", "summary": "一段简介", "category": DRAFTED_IN})
    db.session.commit()
    return f"oai:qiuxue.local:resource/{resource.id}"


def _headers(document, identifier):
    return [h for h in document.iterfind(".//o:header", NS) if h.findtext("o:identifier", namespaces=NS) == identifier]


def _specs(header):
    return [e.text for e in header.iterfind("o:setSpec", NS)]


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_attack_a_withdrawn_resources_header_names_its_draft_category(harvest, withdrawn, verb):
    [header] = _headers(harvest(verb=verb, metadataPrefix="oai_dc"), withdrawn)
    assert header.get("status") == "deleted"
    assert _specs(header) == ["union:330100"]  # no menu set: the current ones are the draft's


def test_attack_get_record_names_the_draft_category(harvest, withdrawn):
    [header] = _headers(harvest(verb="GetRecord", metadataPrefix="oai_dc", identifier=withdrawn), withdrawn)
    assert header.get("status") == "deleted" and _specs(header) == ["union:330100"]
    assert "skills" not in etree.tostring(header, encoding="unicode")


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
@pytest.mark.parametrize("spec", ["menu:skills", "menu:skills-energy"])
def test_attack_the_draft_categorys_set_lists_the_withdrawn_resource(harvest, withdrawn, verb, spec):
    document = harvest(verb=verb, metadataPrefix="oai_dc", set=spec)
    assert _headers(document, withdrawn) == []
    assert [h.get("status") for h in document.iterfind(".//o:header", NS)] == [None]  # the published neighbour


def test_the_union_set_still_reports_the_deletion(harvest, withdrawn):
    [header] = _headers(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", set="union:330100"), withdrawn)
    assert header.get("status") == "deleted"


def test_a_published_resource_keeps_its_menu_sets(harvest, withdrawn, db):
    resource = make(title="安全生产", publish=True, category=PUBLISHED_IN)
    db.session.commit()
    identifier = f"oai:qiuxue.local:resource/{resource.id}"
    [header] = _headers(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", set="menu:literacy"), identifier)
    assert header.get("status") is None and _specs(header) == ["menu:literacy", "menu:literacy-safety"]
