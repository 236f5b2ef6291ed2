"""The union catalog's CSV and XLSX, read by people, give the publication time in Beijing; the JSON API and the
Atom feed, read by machines, keep UTC with Z."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import time_machine
from lxml import etree
from openpyxl import load_workbook

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import union_catalogs
from tests.catalog.helpers import make


def test_publication_time_is_beijing_for_people_and_utc_for_machines(client, db):
    with time_machine.travel(datetime(2026, 3, 14, 23, 30, tzinfo=UTC), tick=False):  # 07:30 on the 15th there
        item = make(title="电工基础", publish=True)
    province = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330000"))
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[1].id, item.id)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/catalog/u/330000/catalog.csv").data.decode("utf-8-sig"))))
    assert rows[0][-1] == "发布时间" and rows[1][-1] == "2026-03-15 07:30"
    sheet = load_workbook(io.BytesIO(client.get("/catalog/u/330000/catalog.xlsx").data)).active
    assert [c.value for c in sheet[2]][-1] == "2026-03-15 07:30"
    assert client.get(f"/api/v1/resources/{item.id}").get_json()["published_at"] == "2026-03-14T23:30:00Z"
    feed = etree.fromstring(client.get("/catalog/u/330000/feed.atom").data)
    assert feed.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}published") \
        == "2026-03-14T23:30:00Z"
