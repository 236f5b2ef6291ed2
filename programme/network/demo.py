"""Demo data for the service network: 杭州市's education service station and 西湖区's service point (the demo
worker 13900000007 is of 西湖区, so their applications page shows it), 宁波市's station, and 萧山华成电器's teaching
point and exam point in 萧山区 (with coordinates, so the map list can sort them by distance). Through the service."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from programme.network import points
from programme.network.points import PointInput

POINTS = [
    ("330100", PointInput(name="杭州市农民工教育服务站", address="杭州市上城区解放路1号 职工服务中心二楼",
                          hours="周一至周六 9:00-20:00", phone="0571-85150000",
                          services="政策咨询\n报名指导\n补贴申请材料审核")),
    ("330106", PointInput(name="西湖区职工教育服务点", address="杭州市西湖区文三路100号 区职工之家一楼",
                          hours="周一至周五 9:00-17:00，周六 9:00-12:00", phone="0571-87960000",
                          services="政策咨询\n报名指导\n学习设备借用")),
    ("330200", PointInput(name="宁波市农民工教育服务站", address="宁波市海曙区中山西路1号",
                          hours="周一至周五 9:00-17:00", phone="0574-87300000", services="政策咨询\n报名指导")),
]


HOSTED = [
    ("ENT-XH-ELEC", PointInput(name="华成电器职工教学点", address="杭州市萧山区经济技术开发区建设二路88号 培训楼三楼",
                               hours="周一至周五 18:30-21:00，周六 9:00-16:00", phone="0571-82880001",
                               contact="陈老师", capacity="60", latitude="30.2290", longitude="120.2950",
                               services="学历课程面授辅导\n电工技能实训", kind="teaching", area="330109")),
    ("ENT-XH-ELEC", PointInput(name="华成电器技能考试点", address="杭州市萧山区经济技术开发区建设二路88号 实训车间",
                               hours="每月第二个周六 8:30-12:00", phone="0571-82880002", contact="陈老师",
                               capacity="40", latitude="30.2285", longitude="120.2960",
                               services="电工（初级、中级、高级工）技能等级考核", kind="exam", area="330109")),
]


def load(session: Session) -> dict[str, int]:
    for code, data in [*POINTS, *HOSTED]:
        points.create(session, SYSTEM, organisations.get_by_code(session, code), data)
    session.flush()
    return {"service_points": len(POINTS), "teaching_exam_points": len(HOSTED)}
