"""The menu (菜单) as the source document sets it out: the four main tasks and their topics
(浙总工发〔2019〕74号, 三、主要任务). Codes are stable slugs; names can be changed by admins later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple


class Node(NamedTuple):
    code: str
    name: str
    children: tuple[Node, ...] = ()


MENU: tuple[Node, ...] = (
    Node("academic", "学历继续教育", (
        Node("academic-zhuanke", "专科"),
        Node("academic-gaoqiben", "高起本"),
        Node("academic-zhuanshengben", "专升本"),
    )),
    Node("skills", "岗位技能", (
        Node("skills-construction", "建筑"),
        Node("skills-manufacturing", "制造"),
        Node("skills-energy", "能源"),
        Node("skills-logistics", "物流"),
        Node("skills-catering", "餐饮"),
        Node("skills-property", "物业"),
        Node("skills-housekeeping", "家政"),
        Node("skills-elderly-care", "养老"),
        Node("skills-transfer", "转岗与技能储备"),
        Node("skills-export", "外向型企业", (
            Node("export-engineering", "工程建设"),
            Node("export-business", "商务合作"),
            Node("export-law", "法律法规"),
        )),
    )),
    Node("innovation", "创业创新", (
        Node("innovation-technical", "岗位技术创新"),
        Node("innovation-startup", "创业意识与项目指导"),
        Node("innovation-management", "企业经营管理"),
        Node("innovation-return-home", "返乡创业"),
    )),
    Node("literacy", "综合素质", (
        Node("literacy-values", "社会主义核心价值观"),
        Node("literacy-career", "职业生涯规划"),
        Node("literacy-rights", "权益保护"),
        Node("literacy-safety", "安全生产"),
        Node("literacy-mental-health", "心理健康"),
        Node("literacy-disease", "疾病防治"),
        Node("literacy-mandarin", "普通话"),
        Node("literacy-city-life", "城市生活常识"),
    )),
)


def walk(nodes: tuple[Node, ...] = MENU, parent: str | None = None) -> Iterator[tuple[str | None, int, Node]]:
    """(parent code, position, node) for every node, parents before children."""
    for position, node in enumerate(nodes):
        yield parent, position, node
        yield from walk(node.children, node.code)
