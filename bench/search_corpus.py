"""Documents for the search benchmark: the real courses of ../shared/data/courses_cn_mooc.csv when present
(read from there, never copied), padded with generated records of realistic vocational vocabulary.

Deterministic for a given seed, so runs compare."""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from search.documents import ResourceDoc

# ../shared beside the checkout, or beside the folder of git worktrees (wt/NAME): a run from a worktree must
# read the same documents as one from the main checkout (without them it indexed only generated ones)
SHARED_COURSES = next((found for found in (parent / "shared" / "data" / "courses_cn_mooc.csv"
                                           for parent in Path(__file__).resolve().parents[2:4]) if found.exists()),
                      Path(__file__).resolve().parents[2] / "shared" / "data" / "courses_cn_mooc.csv")

MENU = {  # leaf code -> (ancestors..., leaf), names
    "academic-zhuanke": (("academic", "学历继续教育"), ("academic-zhuanke", "专科")),
    "academic-zhuanshengben": (("academic", "学历继续教育"), ("academic-zhuanshengben", "专升本")),
    "skills-construction": (("skills", "岗位技能"), ("skills-construction", "建筑")),
    "skills-manufacturing": (("skills", "岗位技能"), ("skills-manufacturing", "制造")),
    "skills-energy": (("skills", "岗位技能"), ("skills-energy", "能源")),
    "skills-logistics": (("skills", "岗位技能"), ("skills-logistics", "物流")),
    "skills-catering": (("skills", "岗位技能"), ("skills-catering", "餐饮")),
    "skills-property": (("skills", "岗位技能"), ("skills-property", "物业")),
    "skills-housekeeping": (("skills", "岗位技能"), ("skills-housekeeping", "家政")),
    "skills-elderly-care": (("skills", "岗位技能"), ("skills-elderly-care", "养老")),
    "innovation-startup": (("innovation", "创业创新"), ("innovation-startup", "创业意识与项目指导")),
    "literacy-safety": (("literacy", "综合素质"), ("literacy-safety", "安全生产")),
    "literacy-rights": (("literacy", "综合素质"), ("literacy-rights", "权益保护")),
    "literacy-mental-health": (("literacy", "综合素质"), ("literacy-mental-health", "心理健康")),
}
# occupation -> (menu leaf, industry, topics)
OCCUPATIONS = {
    "电工": ("skills-energy", "energy", ["低压电工作业", "电气线路安装", "照明电路", "电动机控制", "配电柜检修"]),
    "维修电工": ("skills-manufacturing", "manufacturing", ["PLC控制", "变频器应用", "电气故障排除", "电机维修"]),
    "焊工": ("skills-manufacturing", "manufacturing", ["手工电弧焊", "氩弧焊", "二氧化碳气体保护焊", "焊接缺陷"]),
    "叉车司机": ("skills-logistics", "logistics", ["叉车驾驶", "货物堆垛", "叉车日常保养", "仓库安全"]),
    "快递员": ("skills-logistics", "logistics", ["快件收寄", "派送路线", "客户沟通", "电子面单"]),
    "仓储管理员": ("skills-logistics", "logistics", ["库存盘点", "出入库管理", "仓储信息系统", "货位规划"]),
    "中式烹调师": ("skills-catering", "catering", ["刀工", "火候掌握", "浙菜制作", "食品安全"]),
    "中式面点师": ("skills-catering", "catering", ["发面技巧", "包子饺子", "点心造型", "面团调制"]),
    "餐厅服务员": ("skills-catering", "catering", ["摆台", "点菜服务", "宴会服务", "礼仪"]),
    "物业管理员": ("skills-property", "property", ["物业服务", "业主沟通", "设施设备管理", "消防巡查"]),
    "保安员": ("skills-property", "property", ["门岗执勤", "巡逻", "突发事件处置", "消防器材"]),
    "电梯维修工": ("skills-property", "property", ["电梯结构", "电梯维保", "故障救援", "安全规范"]),
    "家政服务员": ("skills-housekeeping", "housekeeping", ["家居保洁", "衣物洗涤", "家庭烹饪", "收纳整理"]),
    "育婴员": ("skills-housekeeping", "housekeeping", ["婴儿喂养", "婴儿抚触", "早期教育", "常见病护理"]),
    "母婴护理员": ("skills-housekeeping", "housekeeping", ["产妇护理", "新生儿护理", "月子餐", "母乳喂养"]),
    "养老护理员": ("skills-elderly-care", "elderly_care", ["生活照料", "失智照护", "康复护理", "心理慰藉"]),
    "钢筋工": ("skills-construction", "construction", ["钢筋识图", "钢筋绑扎", "钢筋下料", "质量验收"]),
    "架子工": ("skills-construction", "construction", ["脚手架搭设", "高处作业", "安全带使用", "拆除作业"]),
    "砌筑工": ("skills-construction", "construction", ["砖墙砌筑", "砂浆配制", "墙体质量", "施工安全"]),
    "塔吊司机": ("skills-construction", "construction", ["塔式起重机操作", "信号指挥", "吊装作业", "限位装置"]),
    "数控车工": ("skills-manufacturing", "manufacturing", ["数控编程", "车床操作", "刀具选择", "零件测量"]),
    "钳工": ("skills-manufacturing", "manufacturing", ["划线", "锉削", "钻孔攻丝", "装配调试"]),
    "光伏安装工": ("skills-energy", "energy", ["光伏组件安装", "逆变器", "并网发电", "屋顶光伏"]),
    "汽车维修工": ("skills-manufacturing", "manufacturing", ["发动机检修", "新能源汽车", "底盘维修", "汽车电器"]),
}
EXTRA_COURSES = [
    ("literacy-safety", "", "安全生产", ["安全生产法", "事故案例", "应急预案", "个人防护用品"]),
    ("literacy-rights", "", "劳动权益", ["劳动合同", "工资支付", "工伤保险", "劳动争议调解"]),
    ("literacy-mental-health", "", "心理健康", ["压力管理", "情绪调节", "人际沟通", "睡眠健康"]),
    ("innovation-startup", "", "返乡创业", ["项目选择", "农村电商", "直播带货", "小微企业财务"]),
    ("academic-zhuanke", "", "计算机应用基础", ["Word文档", "Excel表格", "网络基础", "信息安全"]),
    ("academic-zhuanshengben", "", "高等数学", ["函数与极限", "导数", "积分", "微分方程"]),
    ("skills-manufacturing", "manufacturing", "CAD制图", ["AutoCAD入门", "机械制图", "三视图", "尺寸标注"]),
    ("academic-zhuanke", "", "C语言程序设计", ["数据类型", "循环结构", "指针", "数组"]),
    ("academic-zhuanke", "", "Python编程", ["Python基础语法", "数据分析", "爬虫入门", "自动化办公"]),
]
LEVELS = ["", "初级工", "中级工", "高级工", "技师"]
TITLE_FORMS = ["{occ}{topic}", "{occ}{level}培训", "{topic}实操训练", "{occ}职业技能提升", "{topic}入门",
               "{occ}考证辅导", "{topic}案例精讲", "{occ}岗位安全知识", "图解{topic}", "{occ}{topic}微课"]
SENTENCES = [
    "本课程面向一线{occ}，讲解{topic}的要点和常见问题。", "通过案例和视频演示，帮助学员掌握{topic}的操作方法。",
    "课程结合国家职业技能标准，适合准备{level}考试的职工。", "学员可以利用碎片时间在手机上学习，不脱产、不离岗。",
    "重点介绍{topic}中的安全注意事项和规范流程。", "授课教师来自企业一线和职业院校，具有丰富的实践经验。",
    "学完本课程后，可以独立完成{topic}相关工作。", "课程配有练习题和实操视频，便于复习巩固。",
]
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "义乌", "萧山",
          "慈溪"]
SCHOOL_KINDS = ["职业技术学院", "技师学院", "社区学院", "职业技能培训学校", "开放大学分校", "总工会职工学校"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕鹏飞晓东雪梅文斌"
KINDS = ["course", "course", "video_lecture", "micro_course"]
AUDIENCES = ["skill_5", "skill_4", "skill_3", "skill_2", "general", "zhuanke"]


def _menu(leaf: str) -> tuple[list[str], list[str]]:
    chain = MENU[leaf]
    return [code for code, _name in chain], [name for _code, name in chain]


def generated(count: int, start_id: int, seed: int = 7) -> Iterator[ResourceDoc]:
    rng = random.Random(seed)
    providers = [(f"GEN-{i:03d}", rng.choice(CITIES) + rng.choice(SCHOOL_KINDS)) for i in range(300)]
    occupations = list(OCCUPATIONS.items())
    epoch = datetime(2019, 1, 1)
    for n in range(count):
        if rng.random() < 0.8:
            occ, (leaf, industry, topics) = rng.choice(occupations)
        else:
            leaf, industry, occ, topics = rng.choice(EXTRA_COURSES)
        topic, level = rng.choice(topics), rng.choice(LEVELS)
        values = {"occ": occ, "topic": topic, "level": level or "中级工"}
        title = rng.choice(TITLE_FORMS).format(**values)
        sentences = rng.sample(SENTENCES, 5)
        codes, names = _menu(leaf)
        provider = rng.choice(providers)
        yield ResourceDoc(
            id=start_id + n, title=title, kind=rng.choice(KINDS),
            summary=sentences[0].format(**values) + sentences[1].format(**values),
            description_html="".join(f"<p>{s.format(**values)}</p>" for s in sentences[1:]),
            categories=codes, category_names=names, industries=[industry] if industry else [],
            audiences=[rng.choice(AUDIENCES)], provider=provider[0], provider_name=provider[1],
            teachers=[rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)) for _ in range(rng.randint(1, 3))],
            tags=rng.sample([occ, topic, level or "安全", "考证", "实操", "微课", "免费"], 3),
            lessons=[f"第{i + 1}讲 {rng.choice(topics)}" for i in range(rng.randint(1, 8))],
            credits=rng.choice([0, 0, 0.5, 1, 2, 3]), published_at=epoch + timedelta(minutes=rng.randint(0, 3_000_000)),
            enrolled=int(rng.paretovariate(1.2) * 20))


def real_courses(path: Path = SHARED_COURSES, start_id: int = 1) -> list[ResourceDoc]:
    """The shared MOOC rows as resources (menu: academic or skills by their own category), or [] when absent."""
    if not path.exists():
        return []
    docs = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            leaf = "academic-zhuanke" if row["source"].startswith("icourse163") else "skills-manufacturing"
            codes, names = _menu(leaf)
            start = row.get("start_date") or "2020-01-01"
            docs.append(ResourceDoc(
                id=start_id + i, title=row["title"], kind="course", summary=row["description"][:120],
                description_html=row["description"], categories=codes, category_names=names + [row["category"]],
                provider="MOOC-" + str(zlib.crc32(row["provider"].encode()) % 997), provider_name=row["provider"],
                teachers=[t for t in row["teachers"].split(";") if t], tags=[t for t in row["tags"].split(";") if t],
                credits=0, published_at=datetime.fromisoformat(start), enrolled=int(row["learner_count"] or 0),
                audiences=["zhuanke"]))
    return docs


class Corpus:
    """`total` documents: the real ones first, then generated. Iterable any number of times with the same
    documents each time, and never held in memory whole (a million documents are several GB as objects)."""

    def __init__(self, total: int, seed: int = 7):
        self.total, self.seed = total, seed
        self.real = real_courses()[:total]

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[ResourceDoc]:
        yield from self.real
        yield from generated(self.total - len(self.real), start_id=len(self.real) + 1, seed=self.seed)


def corpus(total: int, seed: int = 7) -> tuple[list[ResourceDoc], int]:
    """`total` documents in a list: the real ones first, then generated; and how many were real."""
    docs = Corpus(total, seed)
    return list(docs), len(docs.real)
