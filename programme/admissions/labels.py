"""Names shown for offering levels and attainments, shared by the pages, the claim review and public notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {"zhuanke": _l("专科"), "gaoqiben": _l("高起本"), "zhuanshengben": _l("专升本"),
                "training": _l("技能培训")}
ATTAINMENT_LABELS = {"dazhuan": _l("大专"), "benke": _l("本科"), "senior_worker": _l("高级工"),
                     "technician": _l("技师"), "senior_technician": _l("高级技师")}
