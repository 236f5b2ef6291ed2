"""OAI-PMH 2.0 data provider (http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm) over the
published directory, so that a standard harvester can walk all of it.

- Items: resources that are or were published. One that went public and was later unpublished or
  withdrawn is reported with status="deleted" (deletedRecord: transient); drafts never appear.
- Datestamps: the resource's updated_at, second granularity, UTC.
- Metadata: oai_dc only. Sets: "menu:<category code>" (a published resource is in its categories and all their
  ancestors) and "union:<org code>" (the resources a union's catalog lists, inheritance included).
- Resumption tokens are stateless: the arguments plus the (datestamp, id) of the last item sent, so
  paging is stable while records change; a record changed during a harvest moves to the end.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from xml.etree import ElementTree as ET

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation
from app.sanitize import html_to_text
from app.text import is_digits, xml_safe
from catalog import union_catalogs
from catalog.categories import load_menu
from catalog.labels import KIND_LABELS
from catalog.models import Resource, ResourceCategory, ResourceStatus, UnionCatalog

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMAS = {OAI: "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
           OAI_DC: "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"}
VERBS = {
    # verb: (required arguments, optional arguments); resumptionToken is exclusive where allowed
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
PAGE_SIZE = 100  # records or headers per response before a resumption token
MAX_ID = 2**63 - 1  # the largest id or count a token may carry: what a database integer holds
LAST_YEAR = 9999  # datetime's last year: a date in it is refused, as adding a day or second to it overflows
FIRST_YEAR = 1000  # strftime writes years before it without the leading zeros strptime needs to read them back
DAY = "%Y-%m-%d"
SECOND = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class Repository:
    base_url: str
    name: str
    admin_email: str
    repository_id: str        # the namespace part of oai:<id>:resource/<n>
    record_url: str           # the public page of a resource, with {id} in place of its number
    page_size: int = PAGE_SIZE


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# Element names are written with their prefixes and the namespaces declared as plain attributes: this keeps
# OAI-PMH the default namespace, which ElementTree cannot otherwise do next to unqualified attributes.
PREFIX = {OAI: "", OAI_DC: "oai_dc:", DC: "dc:"}


def _el(parent: ET.Element, ns: str, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    """Text from the database may predate the input cleaning: what XML forbids is dropped here, or one
    U+FFFF in a title would make every harvest of the page fail."""
    element = ET.SubElement(parent, PREFIX[ns] + tag, {name: xml_safe(value) for name, value in attrs.items()})
    if text is not None:
        element.text = xml_safe(str(text))
    return element


def _echo(value: str) -> str:
    """A request value quoted in an error message: printable characters only, and not too many of them."""
    shown = "".join(ch for ch in value if ch.isprintable())
    return shown if len(shown) <= 100 else shown[:100] + "…"


def _stamp(moment: datetime) -> str:
    return moment.strftime(SECOND)


def _parse_date(value: str) -> tuple[datetime, str]:
    for fmt in (SECOND, DAY):
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if FIRST_YEAR <= moment.year < LAST_YEAR:
            return moment, fmt
    raise OAIError("badArgument", f"'{_echo(value)}' is not a date in YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ "
                                  f"from year {FIRST_YEAR} to {LAST_YEAR - 1}.")


def handle(session: Session, repo: Repository, args: Mapping[str, list[str]], now: datetime) -> bytes:
    """The XML response to one request; `args` maps each argument name to all values it was given."""
    root = ET.Element("OAI-PMH", {"xmlns": OAI, "xmlns:xsi": XSI, "xsi:schemaLocation": f"{OAI} {SCHEMAS[OAI]}"})
    _el(root, OAI, "responseDate", _stamp(now))
    request = _el(root, OAI, "request", repo.base_url)
    try:
        verb, single = _check(args)
        for name, value in single.items():
            request.set(name, value)
        _VERB_HANDLERS[verb](session, repo, single, _el(root, OAI, verb), now)
    except OAIError as err:
        if err.code in ("badVerb", "badArgument"):
            request.attrib.clear()  # the protocol: echo no arguments when they were the problem
        for child in list(root)[2:]:
            root.remove(child)
        _el(root, OAI, "error", err.message, code=err.code)
    return cast(bytes, ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _check(args: Mapping[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = args.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "Missing, repeated or unknown verb.")
    verb = verbs[0]
    required, optional = VERBS[verb]
    single: dict[str, str] = {"verb": verb}
    for name, values in args.items():
        if name == "verb":
            continue
        if name not in required | optional:
            raise OAIError("badArgument", f"Illegal argument '{_echo(name)}' for {verb}.")
        if len(values) != 1:
            raise OAIError("badArgument", f"Argument '{name}' is repeated.")
        if not values[0].isprintable():  # control characters would be echoed in <request>; no valid value has any
            raise OAIError("badArgument", f"Argument '{name}' contains control characters.")
        single[name] = values[0]
    if "resumptionToken" in single:
        if len(single) != 2:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
    else:
        missing = required - set(single)
        if missing:
            raise OAIError("badArgument", f"Missing required argument(s): {', '.join(sorted(missing))}.")
    return verb, single


def _identify(session: Session, repo: Repository, args: dict[str, str], out: ET.Element, now: datetime) -> None:
    earliest = session.scalar(select(func.min(Resource.updated_at)).where(Resource.published_at.is_not(None)))
    _el(out, OAI, "repositoryName", repo.name)
    _el(out, OAI, "baseURL", repo.base_url)
    _el(out, OAI, "protocolVersion", "2.0")
    _el(out, OAI, "adminEmail", repo.admin_email)
    _el(out, OAI, "earliestDatestamp", _stamp(earliest or now))
    _el(out, OAI, "deletedRecord", "transient")
    _el(out, OAI, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def _resource_id(repo: Repository, identifier: str) -> int:
    prefix = f"oai:{repo.repository_id}:resource/"
    tail = identifier[len(prefix):] if identifier.startswith(prefix) else ""
    if not is_digits(tail):
        raise OAIError("idDoesNotExist", f"No item '{_echo(identifier)}' in this repository.")
    return int(tail)


def _harvestable(session: Session, repo: Repository, identifier: str) -> Resource:
    resource = session.scalar(select(Resource).where(
        Resource.id == _resource_id(repo, identifier), Resource.published_at.is_not(None)))
    if resource is None:
        raise OAIError("idDoesNotExist", f"No item '{_echo(identifier)}' in this repository.")
    return resource


def _list_formats(session: Session, repo: Repository, args: dict[str, str], out: ET.Element, now: datetime) -> None:
    if "identifier" in args:
        _harvestable(session, repo, args["identifier"])
    fmt = _el(out, OAI, "metadataFormat")
    _el(fmt, OAI, "metadataPrefix", "oai_dc")
    _el(fmt, OAI, "schema", SCHEMAS[OAI_DC])
    _el(fmt, OAI, "metadataNamespace", OAI_DC)


def _all_sets(session: Session) -> list[tuple[str, str]]:
    menu = load_menu(session)
    sets = [(f"menu:{node.code}", f"目录分类：{menu.path_name(node.code)}") for node in menu.flat()]
    for catalog in session.scalars(select(UnionCatalog).join(Organisation, Organisation.id == UnionCatalog.org_id)
                                   .order_by(Organisation.path)):
        sets.append((f"union:{catalog.org.code}", catalog.title))
    return sets


def _list_sets(session: Session, repo: Repository, args: dict[str, str], out: ET.Element, now: datetime) -> None:
    if "resumptionToken" in args:  # all sets fit in one response: any token is one we never issued
        raise OAIError("badResumptionToken", "This repository issues no resumption tokens for ListSets.")
    for spec, name in _all_sets(session):
        element = _el(out, OAI, "set")
        _el(element, OAI, "setSpec", spec)
        _el(element, OAI, "setName", name)


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    """The state `_encode` wrote. A token is only base64 JSON, so anyone can forge one: every field is checked
    for the type and format we write, or the forged value would fail later in strptime, SQL or arithmetic."""
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        state = None
    if not isinstance(state, dict) or not _well_formed(state):
        raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.")
    return state


def _well_formed(state: dict[str, Any]) -> bool:
    required = {"p", "a", "i", "c"}
    if not required <= set(state) <= required | {"f", "u", "s"} or state["p"] != "oai_dc":
        return False
    counts_ok = all(type(state[key]) is int and 0 <= state[key] <= MAX_ID for key in ("i", "c"))  # no bool
    stamps_ok = all(isinstance(state.get(key), str) and _is_stamp(state[key], fmt)
                    for key, fmt in (("a", SECOND + ".%f"), ("f", SECOND), ("u", SECOND))
                    if key in state and (key != "a" or state[key] is not None))
    return counts_ok and stamps_ok and isinstance(state.get("s", ""), str)


def _is_stamp(value: str, fmt: str) -> bool:
    """Whether `value` is written in `fmt`, in a year `_parse_date` accepts (one strftime writes back as read,
    with room for the second added to an until)."""
    try:
        return FIRST_YEAR <= datetime.strptime(value, fmt).year < LAST_YEAR
    except ValueError:
        return False


def _list_state(args: dict[str, str]) -> dict[str, Any]:
    if "resumptionToken" in args:
        return _decode(args["resumptionToken"])
    if args["metadataPrefix"] != "oai_dc":
        raise OAIError("cannotDisseminateFormat", "Only oai_dc is offered.")
    state: dict[str, Any] = {"p": "oai_dc", "a": None, "i": 0, "c": 0}
    formats = set()
    for name in ("from", "until"):
        if name in args:
            moment, fmt = _parse_date(args[name])
            formats.add(fmt)
            if name == "until" and fmt == DAY:
                moment = moment + timedelta(days=1) - timedelta(seconds=1)
            state[name[0]] = moment.strftime(SECOND)
    if len(formats) > 1:
        raise OAIError("badArgument", "from and until must have the same granularity.")
    if "f" in state and "u" in state and state["f"] > state["u"]:
        raise OAIError("badArgument", "from is later than until.")
    if "set" in args:
        state["s"] = args["set"]
    return state


def _set_filter(session: Session, spec: str) -> ColumnElement[bool]:
    kind, _sep, code = spec.partition(":")
    if kind == "menu":
        ids = load_menu(session).descendant_ids(code)
        if ids:  # published only (as in `_SetContext.specs`): a deleted item's categories are its provider's draft
            listed = select(ResourceCategory.resource_id).where(ResourceCategory.category_id.in_(ids))
            return and_(Resource.status == ResourceStatus.published, Resource.id.in_(listed))
    if kind == "union":
        catalog = session.scalar(select(UnionCatalog).join(Organisation, Organisation.id == UnionCatalog.org_id)
                                 .where(Organisation.code == code))
        if catalog is not None:
            return Resource.id.in_(union_catalogs.resource_ids_in(session, catalog))
    raise OAIError("badArgument", f"Unknown set '{_echo(spec)}'.")


def _query(session: Session, state: dict[str, Any]) -> Select[Resource]:
    query = select(Resource).where(Resource.published_at.is_not(None))
    if state.get("f"):
        query = query.where(Resource.updated_at >= datetime.strptime(state["f"], SECOND))
    if state.get("u"):
        query = query.where(Resource.updated_at < datetime.strptime(state["u"], SECOND) + timedelta(seconds=1))
    if state.get("s"):
        query = query.where(_set_filter(session, state["s"]))
    return query


def _list(session: Session, repo: Repository, args: dict[str, str], out: ET.Element, now: datetime,
          records: bool) -> None:
    state = _list_state(args)
    query = _query(session, state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page_query = query.order_by(Resource.updated_at, Resource.id).limit(repo.page_size + 1)
    if state["a"]:
        after = datetime.strptime(state["a"], SECOND + ".%f")
        page_query = page_query.where(or_(Resource.updated_at > after,
                                          and_(Resource.updated_at == after, Resource.id > state["i"])))
    page_query = page_query.options(selectinload(Resource.categories))
    if records:
        page_query = page_query.options(selectinload(Resource.provider), selectinload(Resource.teachers),
                                        selectinload(Resource.tags))
    rows = list(session.scalars(page_query))
    if not rows:
        if state["a"]:
            raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.")
        raise OAIError("noRecordsMatch", "No records match these arguments.")
    more, rows = len(rows) > repo.page_size, rows[:repo.page_size]
    context = _SetContext(session)
    for resource in rows:
        if records:
            _record(out, repo, resource, context)
        else:
            _header(out, repo, resource, context)
    if more or state["a"]:
        last = rows[-1]
        nxt = dict(state, a=last.updated_at.strftime(SECOND + ".%f"), i=last.id, c=state["c"] + len(rows))
        token = _el(out, OAI, "resumptionToken", _encode(nxt) if more else None,
                    completeListSize=str(total), cursor=str(state["c"]))
        if more:
            token.set("expirationDate", _stamp(now + timedelta(days=1)))


class _SetContext:
    """Set specs per resource, computed once per response (menu ancestors and union catalogs)."""

    def __init__(self, session: Session):
        self.menu = load_menu(session)
        self.unions = union_catalogs.memberships(session)

    def specs(self, resource: Resource) -> list[str]:
        codes: list[str] = []  # a deleted item's categories are its provider's unreviewed draft: no menu sets
        for category in resource.categories if resource.status == ResourceStatus.published else ():
            node = self.menu.by_id.get(category.id)
            for ancestor in self.menu.ancestors(node.code) if node else []:
                if ancestor.code not in codes:
                    codes.append(ancestor.code)
        return [f"menu:{c}" for c in codes] + [f"union:{u}" for u in sorted(self.unions.get(resource.id, ()))]


def _header(parent: ET.Element, repo: Repository, resource: Resource, context: _SetContext) -> None:
    attrs = {} if resource.status == ResourceStatus.published else {"status": "deleted"}
    header = _el(parent, OAI, "header", **attrs)
    _el(header, OAI, "identifier", f"oai:{repo.repository_id}:resource/{resource.id}")
    _el(header, OAI, "datestamp", _stamp(resource.updated_at))
    for spec in context.specs(resource):
        _el(header, OAI, "setSpec", spec)


def _record(parent: ET.Element, repo: Repository, resource: Resource, context: _SetContext) -> None:
    record = _el(parent, OAI, "record")
    _header(record, repo, resource, context)
    if resource.status != ResourceStatus.published:
        return
    metadata = _el(record, OAI, "metadata")
    dc = _el(metadata, OAI_DC, "dc", **{"xmlns:oai_dc": OAI_DC, "xmlns:dc": DC,
                                        "xsi:schemaLocation": f"{OAI_DC} {SCHEMAS[OAI_DC]}"})
    _el(dc, DC, "title", resource.title)
    for teacher in resource.teachers:
        _el(dc, DC, "creator", teacher.name)
    for subject in dict.fromkeys([c.name for c in resource.categories] + [t.name for t in resource.tags]):
        _el(dc, DC, "subject", subject)
    description = resource.summary or html_to_text(resource.description_html)
    if description:
        _el(dc, DC, "description", description)
    _el(dc, DC, "publisher", resource.provider.name)
    if resource.published_at:
        _el(dc, DC, "date", resource.published_at.strftime(DAY))
    _el(dc, DC, "type", "InteractiveResource")
    _el(dc, DC, "type", str(KIND_LABELS[resource.kind]))
    _el(dc, DC, "format", "text/html")
    _el(dc, DC, "identifier", repo.record_url.replace("{id}", str(resource.id)))
    if resource.external_url:
        _el(dc, DC, "relation", resource.external_url)
    _el(dc, DC, "language", resource.language)
    if resource.licence:
        _el(dc, DC, "rights", resource.licence)


def _get_record(session: Session, repo: Repository, args: dict[str, str], out: ET.Element, now: datetime) -> None:
    if args["metadataPrefix"] != "oai_dc":
        raise OAIError("cannotDisseminateFormat", "Only oai_dc is offered.")
    _record(out, repo, _harvestable(session, repo, args["identifier"]), _SetContext(session))


_VERB_HANDLERS: dict[str, Callable[[Session, Repository, dict[str, str], ET.Element, datetime], None]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": lambda s, r, a, o, n: _list(s, r, a, o, n, records=False),
    "ListRecords": lambda s, r, a, o, n: _list(s, r, a, o, n, records=True),
}
