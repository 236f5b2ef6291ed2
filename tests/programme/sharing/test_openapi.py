"""The OpenAPI document: valid OpenAPI 3 (openapi-spec-validator), covering every route of the API with its
methods and nothing else, each guarded route naming its scope and errors; and what the API really answers and
accepts follows the document's schemas, so the document and the code cannot part."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from programme.sharing import schemas
from tests import factories
from tests.programme.helpers import id_number
from tests.programme.sharing.conftest import bearer, token_for

PREFIX = "/api/exchange/v1"


@pytest.fixture
def document(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def _conforms(document, component: str, instance) -> None:
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    OAS30Validator(schema).validate(instance)


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.") and document["components"]["securitySchemes"]["bearer"]["scheme"] == \
        "bearer"


def test_the_document_covers_every_route_and_only_them(app, document):
    routed = {(rule.rule.replace("<", "{").replace(">", "}"), method.lower())
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("exchange_api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routed == documented and len(routed) == 7
    assert all(path.startswith(f"{PREFIX}/") for path, _m in documented)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.endswith("openapi.json"):
                assert operation["security"] == []
                continue
            assert {"401", "429"} <= set(operation["responses"]) and operation["x-scope"]


def test_answers_and_pushes_follow_the_documented_schemas(db, client, document, hr, edu):
    hr_token, edu_token = token_for(hr), token_for(edu)
    certificate = {"id_number": id_number(701), "name": "郑十", "occupation": "电工", "skill_level": 2,
                   "certificate_no": "S-0701", "issued_on": "2025-05-20"}
    graduation = {"id_number": id_number(702), "name": "冯十一", "institution_code": factories.INSTITUTION,
                  "level": "gaoqiben", "major": "工商管理", "diploma_no": "D-0702", "graduated_on": "2025-06-30"}
    _conforms(document, "CertificateIn", certificate)
    _conforms(document, "GraduationIn", graduation)
    answers = {
        "CertificateResult": client.post(f"{PREFIX}/certificates", json=certificate, headers=bearer(hr_token)),
        "GraduationResult": client.post(f"{PREFIX}/graduations", json=graduation, headers=bearer(edu_token)),
        "ApplicationPage": client.get(f"{PREFIX}/applications", headers=bearer(hr_token)),
        "Statistics": client.get(f"{PREFIX}/statistics", headers=bearer(hr_token)),
        "TokenInfo": client.get(f"{PREFIX}/token", headers=bearer(hr_token)),
    }
    for component, response in answers.items():
        assert response.status_code in (200, 201), (component, response.get_json())
        _conforms(document, component, response.get_json())
    refused = client.post(f"{PREFIX}/certificates", json={"skill_level": "x"}, headers=bearer(hr_token))
    _conforms(document, "Error", refused.get_json())


def test_the_body_check_and_the_schema_agree_on_what_is_refused(document):
    """What `schemas.check` refuses, the published schema refuses too (and the reverse), field by field."""
    validator = OAS30Validator({"$ref": "#/components/schemas/CertificateIn", "components": document["components"]})
    good = {"id_number": id_number(703), "name": "陈", "occupation": "焊工", "skill_level": 3,
            "certificate_no": "S-1", "issued_on": "2025-01-01"}
    for change in ({}, {"skill_level": 0}, {"skill_level": "3"}, {"name": ""}, {"name": "名" * 51},
                   {"certificate_no": 12}, {"unknown": 1}, {"id_number": None}):
        body = {**good, **change}
        body = {k: v for k, v in body.items() if v is not None}
        assert (schemas.check(schemas.CERTIFICATE_IN, body) == {}) == validator.is_valid(body), change
