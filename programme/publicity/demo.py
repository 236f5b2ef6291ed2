"""Demo posts: a county union's news and an institution's 先进典型 story with a photo and its consent on record,
written and published through the services the pages use. The photo is drawn here (no file to ship)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import stores
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.timefmt import beijing_today
from programme.publicity import posts

NEWS = ("杭州市西湖区总工会近日启动“学历与能力双提升”年度报读，一线职工可在手机上报名，"
        "取得学历或技能证书后申请学费补贴。\n\n"
        "## 怎么报名？\n\n- 打开“双提升报读”，选择院校和专业\n- 填写个人资料，提交申请\n- 等待县级工会审核")
STORY = ("王师傅在电器厂做了十二年装配工。去年他报读了机电一体化专科，每天下班后用手机学习半小时。\n\n"
         "“**碎片时间也能学出名堂。**”今年他取得了专科文凭，还当上了班组长。")


def _photo() -> bytes:
    # Pillow (~4 MB resident) only when an image is handled, not in every web process from its start
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 540), (183, 28, 28))
    draw = ImageDraw.Draw(image)
    for y in range(0, 540, 6):  # a soft gradient with a sun: something to see on the card
        draw.line([(0, y), (960, y)], fill=(183, 28 + y // 6, 28 + y // 8))
    draw.ellipse((380, 120, 580, 320), fill=(255, 213, 79))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def load(session: Session, config: Mapping[str, Any]) -> dict[str, int]:
    union = session.scalar(select(Organisation).where(Organisation.code == "330106"))
    school = session.scalar(select(Organisation).where(Organisation.kind == OrgKind.institution)
                            .order_by(Organisation.id).limit(1))
    if union is None:
        return {"posts": 0}
    today, now, files = beijing_today(), utcnow(), stores.area(config, "covers")
    news, _old = posts.save(session, SYSTEM, union, posts.Draft(
        kind="news", title="西湖区启动年度“双提升”报读", summary="一线职工手机报名，取得证书后申请学费补贴。",
        body=NEWS), files, today)
    posts.publish(session, SYSTEM, news, now - timedelta(days=1))
    story, _old = posts.save(session, SYSTEM, school or union, posts.Draft(
        kind="story", title="装配工王师傅的专科路", summary="十二年的装配工，用碎片时间拿到专科文凭。", body=STORY,
        photo=_photo(), consent_subject="王建国", consent_given_by="王建国本人",
        consent_on=today - timedelta(days=3)), files, today)
    posts.publish(session, SYSTEM, story, now)
    return {"posts": 2}
