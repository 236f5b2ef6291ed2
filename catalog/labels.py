"""Chinese labels for the catalog's vocabularies, for pages (translated through Flask-Babel) and the
plain Chinese names accepted in imports (never translated: spreadsheets are written in Chinese)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from catalog.models import Audience, Industry, LessonType, ResourceKind, ResourceStatus

KIND_LABELS = {
    ResourceKind.course: _l("网络课程"),
    ResourceKind.video_lecture: _l("视频公开课"),
    ResourceKind.micro_course: _l("微课"),
}

STATUS_LABELS = {
    ResourceStatus.draft: _l("草稿"),
    ResourceStatus.submitted: _l("待审核"),
    ResourceStatus.published: _l("已发布"),
    ResourceStatus.returned: _l("已退回"),
    ResourceStatus.unpublished: _l("已下架"),
    ResourceStatus.withdrawn: _l("已撤回"),
}

ACTION_LABELS = {
    "create": _l("创建"), "import": _l("批量导入"), "submit": _l("提交审核"), "select": _l("遴选发布"),
    "return": _l("退回修改"), "unpublish": _l("下架"), "withdraw": _l("撤回"), "edit": _l("参与编写"),
}

INDUSTRY_LABELS = {
    Industry.construction: _l("建筑"),
    Industry.manufacturing: _l("制造"),
    Industry.energy: _l("能源"),
    Industry.logistics: _l("物流"),
    Industry.catering: _l("餐饮"),
    Industry.property: _l("物业"),
    Industry.housekeeping: _l("家政"),
    Industry.elderly_care: _l("养老"),
}

AUDIENCE_LABELS = {
    Audience.zhuanke: _l("专科"),
    Audience.gaoqiben: _l("高起本"),
    Audience.zhuanshengben: _l("专升本"),
    Audience.skill_5: _l("初级工"),
    Audience.skill_4: _l("中级工"),
    Audience.skill_3: _l("高级工"),
    Audience.skill_2: _l("技师"),
    Audience.skill_1: _l("高级技师"),
    Audience.general: _l("通用"),
}

LESSON_TYPE_LABELS = {
    LessonType.video: _l("视频"),
    LessonType.reading: _l("图文"),
    LessonType.external: _l("外部链接"),
}

SORT_LABELS = {"newest": _l("最新发布"), "enrolled": _l("最多人学"), "credits": _l("学分最多")}

# What an import cell may say, besides the English code itself.
KIND_NAMES = {"网络课程": ResourceKind.course, "课程": ResourceKind.course, "视频公开课": ResourceKind.video_lecture,
              "公开课": ResourceKind.video_lecture, "微课": ResourceKind.micro_course}
INDUSTRY_NAMES = {"建筑": Industry.construction, "制造": Industry.manufacturing, "能源": Industry.energy,
                  "物流": Industry.logistics, "餐饮": Industry.catering, "物业": Industry.property,
                  "家政": Industry.housekeeping, "养老": Industry.elderly_care}
AUDIENCE_NAMES = {"专科": Audience.zhuanke, "高起本": Audience.gaoqiben, "专升本": Audience.zhuanshengben,
                  "本科": Audience.zhuanshengben, "初级工": Audience.skill_5, "中级工": Audience.skill_4,
                  "高级工": Audience.skill_3, "技师": Audience.skill_2, "高级技师": Audience.skill_1,
                  "通用": Audience.general, "不限": Audience.general}


E = TypeVar("E", bound=Enum)


def parse_choice(enum_type: type[E], names: Mapping[str, E], value: str) -> E | None:
    """An enum member from its code or Chinese name; None when neither matches."""
    value = value.strip()
    if value in names:
        return names[value]
    try:
        return enum_type(value.lower())
    except ValueError:
        return None
