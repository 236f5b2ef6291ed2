"""The demo data `make run` loads into an empty database: the Zhejiang union tree, a few
institutions and enterprises, and one account per role so a new user can try every page; then each domain's
part, registered by its package's init_app (app sits below the domains and imports none of them).
Written by us; nothing here comes from ../shared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
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
DEPARTMENTS = [("DEPT-ZJ-EDU", "浙江省教育厅", "330000", OrgKind.education_dept)]  # selects institutions with the union

ACCOUNTS = [
    ("13900000001", Role.admin.value),
    ("13900000002", Role.union_staff.value + "@330000"),
    ("13900000003", Role.union_staff.value + "@330100"),
    ("13900000004", Role.union_staff.value + "@330106"),
    ("13900000005", Role.institution_staff.value + "@INST-HZVTC"),
    ("13900000006", Role.enterprise_staff.value + "@ENT-XH-ELEC"),
    ("13900000007", Role.worker.value),
    ("13900000009", Role.union_staff.value + "@DEPT-ZJ-EDU"),  # a department's staff hold union_staff there
]
_NAMES = ["站点管理员", "省总工会管理员", "杭州市总工会管理员", "西湖区总工会管理员", "杭职院课程管理员",
          "华成电器培训专员", "李小梅", "省教育厅职成教处"]
MARKER = "demo-loaded"  # a file in DATA_DIR: the home page lists the demo accounts only on a demo database

# Every account the demo makes (here and in programme.demo / programme.support_demo), for the home page and the
# README: phone, who it is, and what a visitor can try with it. All use DEMO_PASSWORD.
DEMO_ACCOUNTS = [
    ("13900000001", _l("站点管理员"), _l("管理全站：所有单位和账号、资源目录分类、学分转换表，撤销学分、吊销证书。")),
    ("13900000002", _l("浙江省总工会工作人员"),
     _l("审核发布全省资源，编排省级资源目录和政策页面，制定年度计划，向各市分配名额和经费。")),
    ("13900000003", _l("杭州市总工会工作人员"),
     _l("审核杭州地区单位的资源，编排杭州目录（置顶、隐藏、加栏目），向区县分配名额。")),
    ("13900000004", _l("西湖区总工会工作人员"),
     _l("审核西湖区职工的报名和补助，回复职工咨询，管理街道工会和扫码注册的职工。")),
    ("13900000005", _l("杭州职业技术学院课程管理员（单位管理员）"),
     _l("打开工作台：一份录取申请、一份学分认定申请和一门退回修改的资源在等着处理。还可上传视频，编辑提交课程和测验，"
        "管理电工技能提升路径，申报办学项目，任命本校工作人员。")),
    ("13900000006", _l("萧山华成电器培训专员（单位管理员）"),
     _l("“企业工作”：确认一位新关联的职工（工作台上等着），推荐三名职工报读、一次为他们批量报名课程，查看已授权职工的学习进度，"
        "设置企业补贴；还可上传培训视频、创建并提交资源，任命本企业工作人员。")),
    ("13900000007", _l("职工李小梅"),
     _l("已报名几门课程；几分钟看完《安全用电三堂课（演示速成课）》可得学分、路径进度和结业证书；可报名提升计划。")),
    ("13900000008", _l("职工王建国"), _l("已录取并注册入学，补助已批准：看录取通知和补助进度。")),
    ("13900000009", _l("浙江省教育厅工作人员（单位管理员）"),
     _l("与工会一起遴选院校申报的办学项目（有一项在等待遴选），任命本厅工作人员。")),
    ("13900000201", _l("华成电器职工陈志强"),
     _l("已关联企业并授权企业查看学习情况：在“我的企业”中看企业推荐、撤回授权。")),
    ("13900000202", _l("华成电器职工周丽华"), _l("已关联企业并授权企业查看学习情况。")),
    ("13900000203", _l("华成电器职工吴海涛"), _l("已关联企业，未授权：企业看不到他的学习情况，可在“我的企业”中授权。")),
    ("13900000204", _l("华成电器职工郑晓东"), _l("刚关联企业，等待企业确认。")),
    ("13900000010", _l("浙江省人力资源和社会保障厅工作人员（单位管理员）"),
     _l("上传技能等级证书；本厅的数据接口令牌见 qiuxue programme api-tokens demo。")),
    ("13900000011", _l("职工赵春燕"),
     _l("已注册焊工培训，高级工补贴申请在等人社厅的证书：人社厅令牌报送证书后，西湖区即可核准。")),
    ("13900000100", _l("扫码职工（13900000100 至 13900000102）"),
     _l("扫西溪街道总工会二维码注册的新职工：从零开始选课学习。")),
]


# The domains' parts in the order they run: each builds on those before it (the catalog on the accounts, learning
# on the catalog, the programme on the voice's worker), and the ids the tests and the README quote follow it.
PARTS = ("catalog", "search synonyms", "quiz and enrolments", "credit bank", "policy, enquiries, surveys",
         "this year's programme", "service network", "enterprises", "co-authored course and mentor",
         "news and stories", "last year's public report", "study habit and messages", "questions and wishes",
         "data sharing")


@dataclass(frozen=True)
class Options:
    """What a part may ask of the run. `ready_media(session, lessons)` gives video lessons their clips before they
    are submitted: media's hook (set_ready_media), for the catalog, which never imports media."""

    ready_media: Callable[[Session, list[Any]], int] | None = None


Part = Callable[[Session, Options], dict[str, int]]


def register(app: Flask, name: str, part: Part) -> None:
    """A domain's demo rows, loaded as `name` in PARTS' order; called from its package's init_app."""
    if name not in PARTS:
        raise ValueError(f"demo part {name!r} is not in app.demo.PARTS")
    app.extensions.setdefault("demo_parts", {})[name] = part


def set_ready_media(app: Flask, ready: Callable[..., int]) -> None:
    """Media's `ready(session, lessons, *, short_full_length)`, for Options.ready_media."""
    app.extensions["demo_ready_media"] = ready


def _counted(ready: Callable[..., int], counts: dict[str, int],
             short_full_length: bool) -> Callable[[Session, list[Any]], int]:
    """Media's hook for Options.ready_media, the clips it makes counted as "demo clips"."""
    def ready_media(session: Session, lessons: list[Any]) -> int:
        counts["demo clips"] = ready(session, lessons, short_full_length=short_full_length)
        return counts["demo clips"]
    return ready_media


def demo_loaded(data_dir: str) -> bool:
    return (Path(data_dir) / MARKER).exists()


def accounts_to_show(data_dir: str) -> list[tuple[str, str, str]]:
    """The demo accounts for the home page: only where the demo was loaded (never on a real site)."""
    return [(phone, str(who), str(can)) for phone, who, can in DEMO_ACCOUNTS] if demo_loaded(data_dir) else []


def load(session: Session, progress: Callable[[str], None] = lambda part: None, *,
         short_course_full_length: bool = False) -> dict[str, int]:
    """Every package's demo rows, in order; `progress` hears of each part as it starts (`make run` prints it).
    Under test, demo clips are short (a few seconds), except the short course's when `short_course_full_length`
    (its learner journey is tested at the real pace)."""
    progress("organisations and accounts")
    counts = {"organisations": organisations.seed_zhejiang(session), "users": 0}
    for kind, rows in ((OrgKind.institution, INSTITUTIONS), (OrgKind.enterprise, ENTERPRISES)):
        for code, name, parent in rows:
            organisations.create_organisation(session, SYSTEM, parent_code=parent, code=code, name=name, kind=kind)
            counts["organisations"] += 1
    for code, name, parent, kind in DEPARTMENTS:
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
    ready = current_app.extensions.get("demo_ready_media")
    options = Options(ready_media=_counted(ready, counts, short_course_full_length) if ready is not None else None)
    parts = current_app.extensions.get("demo_parts", {})
    for name in PARTS:
        if name in parts:
            progress(name)
            counts.update(parts[name](session, options))
    (Path(current_app.config["DATA_DIR"]) / MARKER).touch()
    return counts
