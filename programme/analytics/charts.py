"""What the page's charts draw, as plain JSON for static/js/analytics.js (Chart.js): labels and numbers only,
already withheld below the floor (a withheld chart is simply absent; the page says why)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from learning.analytics import figures
from programme.analytics import tables
from programme.analytics.service import ResourcePage, UnionPage


def _common(found: figures.ResourceFigures) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if found.funnel is not None:
        labels = tables.stage_labels()
        data["funnel"] = {"labels": [labels[s] for s, _n in found.funnel.stages()],
                          "values": [n for _s, n in found.funnel.stages()], "label": _("人数")}
    if found.weeks is not None:
        data["weeks"] = {"labels": [str(w) for w, _n in found.weeks], "values": [n for _w, n in found.weeks],
                         "label": _("报名人数")}
    if found.hours is not None:
        data["hours"] = {"labels": [f"{h:02d}" for h in range(24)], "values": found.hours,
                         "label": _("开始学习的课时数")}
    if found.devices is not None:
        names = tables.device_labels()
        data["devices"] = {"labels": [names.get(k, k) for k in sorted(found.devices)],
                           "values": [found.devices[k] for k in sorted(found.devices)], "label": _("人数")}
    return data


def resource_data(page: ResourcePage) -> dict[str, Any]:
    data = _common(page.figures)
    data["curves"] = [{"id": lesson.lesson.id,
                       "labels": [tables.clock(s) for s in lesson.curve.starts],
                       "watched": [round(100 * lesson.curve.share(i), 1) for i in range(len(lesson.curve.starts))],
                       "stopped": lesson.curve.stopped,
                       "watchedLabel": _("看过此处的百分比"), "stoppedLabel": _("看到此处为止的人数")}
                      for lesson in page.figures.lessons if lesson.curve is not None]
    return data


def union_data(page: UnionPage) -> dict[str, Any]:
    return _common(page.summary)
