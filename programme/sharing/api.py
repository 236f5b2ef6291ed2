"""The departments' API, version 1 (`/api/exchange/v1/`): pull applications, admissions and aggregate statistics,
push graduation and skill-certificate results, and read the OpenAPI document that describes all of it. Thin: each
view reads its parameters, calls the sharing services, and returns (body, status, what the audit row adds); the
guard (programme/sharing/guard.py) authenticates, limits, checks the scope, audits and commits."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from app.extensions import db
from app.pagination import int_arg
from app.timefmt import beijing_today
from programme.sharing import openapi, pulls, pushes, statistics
from programme.sharing.guard import Operation, bp, operation
from programme.sharing.models import ApiToken

LISTED = ("year", "city", "updated_since", "page", "per_page")


@bp.after_request
def _challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="qiuxue-exchange"'
    return response


def _filters() -> pulls.Filters:
    year = int_arg(request.args, "year", 0, 2000, 2100) if request.args.get("year") else None
    return pulls.Filters(year, pulls.city_of(db.session, request.args.get("city")),
                         pulls.parse_since(request.args.get("updated_since")))


def _listed(token: ApiToken, admitted_only: bool) -> tuple[dict[str, Any], int, dict[str, Any]]:
    filters = _filters()
    number, per_page = int_arg(request.args, "page", 1, 1, 10_000), int_arg(request.args, "per_page", 50, 1, 200)
    found = pulls.page(db.session, filters, token.org, number, per_page, admitted_only=admitted_only)
    body = {"items": [pulls.as_json(item) for item in found.items], "page": found.page, "per_page": found.per_page,
            "total": found.total, "pages": found.pages}
    return body, 200, {"count": len(found.items), "query": request.query_string.decode()[:200]}


@operation("/applications", "GET", Operation(
    "报读申请（分页）", "applications:read", "ApplicationPage", params=LISTED,
    description="Every application (报读申请) with its status, the person (name, ID number), the offering and the "
                "county that verifies it, in id order."))
def applications(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    return _listed(token, admitted_only=False)


@operation("/admissions", "GET", Operation(
    "录取与学籍（分页）", "admissions:read", "ApplicationPage", params=LISTED,
    description="Admitted and enrolled applications, each with its enrolment record (学籍) once the institution "
                "has opened it."))
def admissions(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    return _listed(token, admitted_only=True)


def _pushed(token: ApiToken, kind: pushes.Kind) -> tuple[dict[str, Any], int, dict[str, Any]]:
    done = pushes.push(db.session, token, kind, request.get_json(silent=True))
    return (pushes.as_json(db.session, kind, done), 201 if done.created else 200,
            {"record": done.record.id, "created": done.created})


@operation("/certificates", "POST", Operation(
    "报送技能等级证书（人力社保部门）", "certificates:write", "CertificateResult", status=201, also=(200,),
    body="CertificateIn", description="One skill-level certificate for a worker identified by ID number. It becomes "
    "the record a subsidy claim for that worker rests on. The same certificate sent again answers 200 with the "
    "record already held; a different one under a number this department already sent is refused (409 "
    "conflicting_result). Another department's record under the number does not stop it."))
def certificates(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    return _pushed(token, pushes.CERTIFICATE)


@operation("/graduations", "POST", Operation(
    "报送毕业结果（教育部门）", "graduations:write", "GraduationResult", status=201, also=(200,),
    body="GraduationIn", description="One graduation (diploma) for a worker identified by ID number, naming the "
    "awarding institution by its code; idempotent by diploma number within that institution: the same graduation "
    "sent again answers 200, a different one under a number already held for that institution is refused (409 "
    "conflicting_result)."))
def graduations(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    return _pushed(token, pushes.GRADUATION)


@operation("/statistics", "GET", Operation(
    "汇总统计（仅汇总数）", "statistics:read", "Statistics", params=("year", "city"),
    description="One year's applications, admissions, enrolments, graduations and certificates for the province "
    "(or a city) and each region below it, within the department's own area (a city's department: its city, the "
    "default; another city is refused with outside_area). Aggregates only: a figure from fewer people than the "
    "site's threshold is null."))
def statistics_view(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    year = int_arg(request.args, "year", beijing_today().year, 2000, 2100)
    region = statistics.region_for(token.org, pulls.city_of(db.session, request.args.get("city")))
    floor = int(current_app.config["ANALYTICS_MIN_LEARNERS"])
    return statistics.figures(db.session, region, year, floor), 200, {"year": year, "region": region.code}


@operation("/token", "GET", Operation(
    "当前令牌", "", "TokenInfo", description="The calling token's department, name and scopes: a way to check a "
    "token works."))
def token_info(token: ApiToken) -> tuple[dict[str, Any], int, dict[str, Any]]:
    body = {"department": {"code": token.org.code, "name": token.org.name}, "name": token.name,
            "scopes": token.scope_list}
    return body, 200, {}


@operation("/openapi.json", "GET", Operation(
    "本接口的 OpenAPI 3 描述", None, "OpenAPI", description="This document, generated from the routes themselves."))
def openapi_document(token: None) -> tuple[dict[str, Any], int, dict[str, Any]]:
    return openapi.document(current_app), 200, {}
