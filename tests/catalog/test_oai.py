"""OAI-PMH: every verb and every error, each response validated against the OAI-PMH 2.0 schema (plus
oai_dc for the metadata), and a harvester's walk through resumption tokens."""

from pathlib import Path

import pytest
from lxml import etree

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import oai, service, union_catalogs
from tests.catalog.helpers import make

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "harvest.xsd")))
NS = {"o": oai.OAI, "dc": oai.DC, "oai_dc": oai.OAI_DC}


@pytest.fixture
def harvest(client, monkeypatch):
    def get(method="get", **args):
        response = getattr(client, method)("/oai", query_string=args if method == "get" else None,
                                           data=args if method == "post" else None)
        assert response.status_code == 200 and response.mimetype == "text/xml"
        document = etree.fromstring(response.data)
        SCHEMA.assertValid(document)
        return document
    return get


@pytest.fixture
def published(db):
    items = [make(title=f"资源{i}", publish=True, category="literacy-safety" if i % 2 else "skills-energy",
                  tags="安全") for i in range(7)]
    catalog = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"))
    union_catalogs.add_resource(db.session, SYSTEM, catalog, catalog.sections[0].id, items[0].id)
    make(title="草稿不出现")
    gone = make(title="已下架", publish=True)
    service.unpublish(db.session, SYSTEM, gone, "过时")
    db.session.commit()
    return items, gone


def _error(document):
    return document.find("o:error", NS).get("code")


def test_identify(harvest, published):
    document = harvest(verb="Identify")
    assert document.findtext("o:Identify/o:protocolVersion", namespaces=NS) == "2.0"
    assert document.findtext("o:Identify/o:baseURL", namespaces=NS) == "http://localhost/oai"
    assert document.findtext("o:Identify/o:deletedRecord", namespaces=NS) == "transient"
    assert document.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats_and_sets(harvest, published):
    formats = harvest(verb="ListMetadataFormats")
    assert [e.text for e in formats.iterfind(".//o:metadataPrefix", NS)] == ["oai_dc"]
    assert _error(harvest(verb="ListMetadataFormats", identifier="oai:qiuxue.local:resource/99999")) == \
        "idDoesNotExist"
    specs = [e.text for e in harvest(verb="ListSets").iterfind(".//o:setSpec", NS)]
    assert "menu:skills" in specs and "menu:skills-energy" in specs and "union:330100" in specs


def test_records_carry_dublin_core_and_set_membership(harvest, published):
    items, _gone = published
    document = harvest(verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:qiuxue.local:resource/{items[0].id}")
    record = document.find(".//o:record", NS)
    assert record.findtext(".//dc:title", namespaces=NS) == "资源0"
    assert record.findtext(".//dc:identifier", namespaces=NS) == f"http://localhost/catalog/r/{items[0].id}"
    specs = [e.text for e in record.iterfind("o:header/o:setSpec", NS)]
    assert specs == ["menu:skills", "menu:skills-energy", "union:330100"]


def test_list_records_sets_and_deleted(harvest, published):
    items, gone = published
    document = harvest(verb="ListRecords", metadataPrefix="oai_dc")
    headers = document.findall(".//o:header", NS)
    assert len(headers) == 8  # 7 published + 1 deleted; the draft never appears
    deleted = [h for h in headers if h.get("status") == "deleted"]
    assert [h.findtext("o:identifier", namespaces=NS) for h in deleted] == [f"oai:qiuxue.local:resource/{gone.id}"]
    only_energy = harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", set="menu:skills-energy")
    assert len(only_energy.findall(".//o:header", NS)) == 4
    union = harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", set="union:330100")
    assert len(union.findall(".//o:header", NS)) == 1
    assert _error(harvest(verb="ListRecords", metadataPrefix="oai_dc", set="menu:nothing")) == "badArgument"


def test_from_until(harvest, published):
    assert len(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2000-01-01"})
               .findall(".//o:header", NS)) == 8
    assert _error(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")) == "noRecordsMatch"
    assert _error(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", **{
        "from": "2000-01-01", "until": "2030-01-01T00:00:00Z"})) == "badArgument"
    assert _error(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2020-02-30"})) == "badArgument"
    assert _error(harvest(verb="ListIdentifiers", metadataPrefix="oai_dc", **{
        "from": "2021-01-02", "until": "2021-01-01"})) == "badArgument"


def test_resumption_tokens_walk_everything_once(app, harvest, published, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 3)
    seen, token, pages = [], None, 0
    while True:
        document = (harvest(verb="ListRecords", resumptionToken=token) if token
                    else harvest(verb="ListRecords", metadataPrefix="oai_dc"))
        seen += [e.text for e in document.iterfind(".//o:header/o:identifier", NS)]
        element = document.find(".//o:resumptionToken", NS)
        pages += 1
        assert element is not None and element.get("completeListSize") == "8"
        assert element.get("cursor") == str(3 * (pages - 1))
        token = element.text
        if not token:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    assert _error(harvest(verb="ListRecords", resumptionToken="not-a-token")) == "badResumptionToken"
    assert _error(harvest(verb="ListRecords", resumptionToken="x", metadataPrefix="oai_dc")) == "badArgument"


@pytest.mark.parametrize(("args", "code"), [
    ({}, "badVerb"), ({"verb": "Dance"}, "badVerb"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:qiuxue.local:resource/1"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "mods", "identifier": "oai:qiuxue.local:resource/1"},
     "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere:1"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:qiuxue.local:resource/²"}, "idDoesNotExist"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "marc"}, "cannotDisseminateFormat"),
    ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
])
def test_protocol_errors(harvest, published, args, code):
    document = harvest(**args)
    assert _error(document) == code
    if code in ("badVerb", "badArgument"):
        assert document.find("o:request", NS).attrib == {}  # the protocol: no arguments echoed


def test_repeated_arguments_and_post(client, harvest, published):
    response = client.get("/oai?verb=Identify&verb=Identify")
    document = etree.fromstring(response.data)
    SCHEMA.assertValid(document)
    assert _error(document) == "badVerb"
    assert harvest(method="post", verb="Identify").find("o:Identify", NS) is not None


def test_draft_records_are_not_harvestable(harvest, db, published):
    draft = make(title="草稿")
    db.session.commit()
    assert _error(harvest(verb="GetRecord", metadataPrefix="oai_dc",
                          identifier=f"oai:qiuxue.local:resource/{draft.id}")) == "idDoesNotExist"


def test_hostile_titles_stay_text(harvest, db):
    make(title="<script>alert(1)</script> & ]]>", publish=True)
    db.session.commit()
    document = harvest(verb="ListRecords", metadataPrefix="oai_dc")
    assert document.findtext(".//dc:title", namespaces=NS) == "<script>alert(1)</script> & ]]>"
