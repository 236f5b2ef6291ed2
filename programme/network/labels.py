"""What each kind of point is called on the pages (a template global, `point_kind_labels`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

POINT_KIND_LABELS = {"station": _l("市级农民工教育服务站"), "point": _l("县级教育服务点"), "teaching": _l("教学点"),
                     "exam": _l("考试点")}
