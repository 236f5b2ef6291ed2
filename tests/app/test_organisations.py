"""The union tree: the seeded Zhejiang hierarchy, township import, and adding organisations."""

import csv

import pytest
from sqlalchemy import select

from app.accounts import organisations
from app.accounts.models import Organisation, OrgKind, OrgLevel
from app.accounts.policy import SYSTEM
from app.errors import Forbidden, Invalid
from tests import factories
from tests.conftest import shared_file


def _count(db, level):
    return db.session.query(Organisation).filter_by(kind=OrgKind.union, level=level).count()


def test_seed_has_the_province_its_11_cities_and_90_counties(db):
    assert (_count(db, OrgLevel.province), _count(db, OrgLevel.city), _count(db, OrgLevel.county)) == (1, 11, 90)
    xihu = organisations.get_by_code(db.session, "330106")
    assert xihu.name == "西湖区总工会" and xihu.parent.code == "330100" and xihu.path == "/330000/330100/330106/"
    assert organisations.seed_zhejiang(db.session) == 0  # idempotent


def test_seed_matches_the_published_division_list(db):
    path = shared_file("zhejiang_divisions.csv")
    with path.open(encoding="utf-8") as fh:
        published = {(r["code"].ljust(6, "0"), r["name"]) for r in csv.DictReader(fh) if r["level"] != "township"}
    ours = {(o.code, o.name.removesuffix("总工会")) for o in db.session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.union))}
    assert ours == published


def test_import_all_townships_from_the_division_file(db):
    text = shared_file("zhejiang_divisions.csv").read_text(encoding="utf-8")
    report = organisations.import_townships(db.session, SYSTEM, text)
    assert report.errors == [] and report.added == 1387
    assert _count(db, OrgLevel.township) == 1387
    longnan = organisations.get_by_code(db.session, "331181207")
    assert longnan.name == "龙南乡工会" and longnan.parent.code == "331181"
    again = organisations.import_townships(db.session, SYSTEM, text)
    assert (again.added, again.skipped) == (0, 1387)


def test_import_reports_every_bad_row_and_adds_nothing(db):
    text = ("code,name,level,parent_code\n"
            "330106001,北山街道,township,330106\n"
            "33010600,短代码,township,330106\n"
            "330106002,无上级,township,339999\n"
            "330106003,,township,330106\n")
    report = organisations.import_townships(db.session, SYSTEM, text)
    assert report.added == 0 and len(report.errors) == 3
    assert report.errors[0].startswith("第3行") and "9位数字" in report.errors[0]
    assert "339999" in report.errors[1] and "缺少名称" in report.errors[2]
    assert _count(db, OrgLevel.township) == 0


def test_import_without_the_needed_columns_is_refused(db):
    with pytest.raises(Invalid):
        organisations.import_townships(db.session, SYSTEM, "a,b\n1,2\n")
    with pytest.raises(Invalid):
        organisations.import_townships(db.session, SYSTEM, "")


def test_a_county_union_imports_only_under_itself(db):
    staff = factories.user("union_staff", "330106")
    text = ("code,name,level,parent_code\n330106001,北山街道,township,330106\n"
            "330105001,米市巷街道,township,330105\n")
    report = organisations.import_townships(db.session, staff, text)
    assert report.added == 0 and len(report.errors) == 1 and "第3行" in report.errors[0]


def test_union_staff_add_organisations_only_in_their_subtree(db):
    hz = factories.user("union_staff", "330100")
    school = organisations.create_organisation(db.session, hz, parent_code="330106", code="INST-NEW",
                                               name="西湖社区学院", kind=OrgKind.institution)
    assert school.level == OrgLevel.county and school.is_within(organisations.get_by_code(db.session, "330100"))
    town = organisations.create_organisation(db.session, hz, parent_code="330106", code="330106001",
                                             name="北山街道工会", kind=OrgKind.union)
    assert town.level == OrgLevel.township
    with pytest.raises(Forbidden):
        organisations.create_organisation(db.session, hz, parent_code="330200", code="X1", name="x",
                                          kind=OrgKind.enterprise)
    with pytest.raises(Invalid) as err:
        organisations.create_organisation(db.session, hz, parent_code="330106", code="INST-NEW", name="",
                                          kind=OrgKind.institution)
    assert set(err.value.fields) == {"code", "name"}


def test_a_county_cannot_take_another_county_s_township_code(db):
    """西湖区 (330106) put 330105001, a township of 拱墅区 (330105), under itself: 拱墅区's own import then
    'skipped' it and 西湖区 staffed it. A township's code begins with its county's, by import and by the form;
    a code already held under another parent is an error, not 'already present'."""
    xihu, gongshu = factories.user("union_staff", "330106"), factories.user("union_staff", "330105")
    squat = organisations.import_townships(db.session, xihu,
                                           "code,name,level,parent_code\n330105001,小河街道,township,330106\n")
    assert squat.added == 0 and "330105001" in squat.errors[0] and "西湖区" in squat.errors[0]
    with pytest.raises(Invalid) as refused:
        organisations.create_organisation(db.session, xihu, parent_code="330106", code="330105001", name="小河街道",
                                          kind=OrgKind.union)
    assert "code" in refused.value.fields
    mine = organisations.import_townships(db.session, gongshu,
                                          "code,name,level,parent_code\n330105001,小河街道,township,330105\n")
    assert mine.added == 1 and organisations.get_by_code(db.session, "330105001").parent.code == "330105"
    elsewhere = organisations.import_townships(db.session, SYSTEM,
                                               "code,name,level,parent_code\n330105001,小河街道,township,330106\n")
    assert elsewhere.added == 0 and len(elsewhere.errors) == 1


def test_imported_names_pass_the_form_s_checks(db):
    text = ("code,name,level,parent_code\n330106001,北山\u202e街道,township,330106\n"
            f"330106002,{'长' * 201},township,330106\n")
    report = organisations.import_townships(db.session, SYSTEM, text)
    assert report.added == 0 and [e[:3] for e in report.errors] == ["第2行", "第3行"]
