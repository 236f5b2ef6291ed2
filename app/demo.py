"""The demo data `make run` loads into an empty database: the Zhejiang union tree, a few
institutions and enterprises, and one account per role so a new user can try every page.
Written by us; nothing here comes from ../shared."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM

DEMO_PASSWORD = "qiuxue-demo"  # noqa: S105 - demo accounts on a local demo database only

INSTITUTIONS = [
    ("INST-ZJOU", "浙江开放大学", "330000"),
    ("INST-HZVTC", "杭州职业技术学院", "330100"),
    ("INST-NBPT", "宁波职业技术学院", "330200"),
    ("INST-WZTC", "温州技师学院", "330300"),
    ("INST-JHCC", "金华社区学院", "330700"),
]
ENTERPRISES = [("ENT-XH-ELEC", "萧山华成电器有限公司", "330109"), ("ENT-YW-LOGI", "义乌通达物流有限公司", "330782")]

ACCOUNTS = [
    ("13900000001", Role.admin.value),
    ("13900000002", Role.union_staff.value + "@330000"),
    ("13900000003", Role.union_staff.value + "@330100"),
    ("13900000004", Role.union_staff.value + "@330106"),
    ("13900000005", Role.institution_staff.value + "@INST-HZVTC"),
    ("13900000006", Role.enterprise_staff.value + "@ENT-XH-ELEC"),
    ("13900000007", Role.worker.value),
]
_NAMES = ["站点管理员", "省总工会管理员", "杭州市总工会管理员", "西湖区总工会管理员", "杭职院课程管理员",
          "华成电器培训专员", "李小梅"]


def load(session: Session, *, short_course_full_length: bool = False) -> dict[str, int]:
    """Everything `make run` shows. Under test, demo clips are short (a few seconds), except the short course's
    when `short_course_full_length` (its learner journey is tested at the real pace)."""
    counts = {"organisations": organisations.seed_zhejiang(session), "users": 0}
    for kind, rows in ((OrgKind.institution, INSTITUTIONS), (OrgKind.enterprise, ENTERPRISES)):
        for code, name, parent in rows:
            organisations.create_organisation(session, SYSTEM, parent_code=parent, code=code, name=name, kind=kind)
            counts["organisations"] += 1
    for (phone, spec), name in zip(ACCOUNTS, _NAMES, strict=True):
        role_name, _sep, org_code = spec.partition("@")
        role = Role(role_name)
        org = organisations.get_by_code(session, org_code) if org_code else None
        # the institution's and the enterprise's accounts administer their organisation (appoint its staff)
        service.create_user(session, SYSTEM, phone=phone, name=name, role=role, org=org, password=DEMO_PASSWORD,
                            org_admin=org is not None and org.kind != OrgKind.union)
        counts["users"] += 1
    from catalog import demo as catalog_demo  # the catalog's menu, resources and union catalogs
    from media import demo as media_demo  # demo clips on the video lessons, before they are submitted

    def ready_media(session: Session, lessons: list) -> int:
        counts["demo clips"] = media_demo.ready_clips(session, lessons, short_full_length=short_course_full_length)
        return counts["demo clips"]

    counts.update(catalog_demo.load(session, ready_media=ready_media))
    from search import synonyms  # 铲车→叉车, 月嫂→母婴护理, 电焊→焊工

    counts["synonyms"] = synonyms.seed(session)
    from learning import demo as learning_demo  # a quiz, and the demo worker enrolled in two resources

    counts.update(learning_demo.load(session))
    from learning import credit_demo  # pathways, a conversion row, a recognition request to review

    counts.update(credit_demo.load(session))
    from programme import support_demo  # policy page, enquiries, ratings, QR registrations

    counts.update(support_demo.load(session))
    from programme import demo as programme_demo  # this year's plan, quotas, offerings, an enrolled applicant

    counts.update(programme_demo.load(session))
    return counts
