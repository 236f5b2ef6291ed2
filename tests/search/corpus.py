# ruff: noqa: E501 - one corpus record a line reads best
"""80 realistic Chinese course records written for the relevance tests, with the traps that break naive
Chinese search: 电工 inside 用电工具 and next to 电子工程, C语言 and C++, homophones, synonyms."""

from __future__ import annotations

from datetime import datetime, timedelta

from search.documents import ResourceDoc

MENU = {
    "energy": (["skills", "skills-energy"], ["岗位技能", "能源"], "energy"),
    "manufacturing": (["skills", "skills-manufacturing"], ["岗位技能", "制造"], "manufacturing"),
    "construction": (["skills", "skills-construction"], ["岗位技能", "建筑"], "construction"),
    "logistics": (["skills", "skills-logistics"], ["岗位技能", "物流"], "logistics"),
    "catering": (["skills", "skills-catering"], ["岗位技能", "餐饮"], "catering"),
    "property": (["skills", "skills-property"], ["岗位技能", "物业"], "property"),
    "housekeeping": (["skills", "skills-housekeeping"], ["岗位技能", "家政"], "housekeeping"),
    "elderly": (["skills", "skills-elderly-care"], ["岗位技能", "养老"], "elderly_care"),
    "academic": (["academic", "academic-zhuanke"], ["学历继续教育", "专科"], ""),
    "safety": (["literacy", "literacy-safety"], ["综合素质", "安全生产"], ""),
    "literacy": (["literacy", "literacy-city-life"], ["综合素质", "城市生活常识"], ""),
    "startup": (["innovation", "innovation-startup"], ["创业创新", "创业意识与项目指导"], ""),
}

# id: (title, menu, tags, summary, provider, kind, credits, enrolled)
ROWS = {
    1: ("低压电工作业安全技术培训", "energy", "电工 特种作业", "低压电工特种作业操作证培训，讲解用电安全和触电急救。", "P1", "course", 2, 900),
    2: ("维修电工中级工考证辅导", "energy", "电工 考证", "维修电工中级工理论与实操考证辅导，含电机控制线路。", "P1", "course", 3, 700),
    3: ("电工基础：电路与仪表", "energy", "电工 入门", "从欧姆定律讲起，学会使用万用表和钳形电流表。", "P2", "video_lecture", 1, 500),
    4: ("家庭电工入门：开关插座安装", "energy", "电工 家装", "家装电工必会的开关、插座和灯具安装方法。", "P3", "micro_course", 0, 1200),
    5: ("高压电工特种作业复审", "energy", "电工 复审", "高压电工证到期复审的考点梳理。", "P1", "course", 1, 300),
    6: ("电子工程导论", "academic", "电子 工程", "电子工程专业的入门课程，介绍电路、信号与系统。", "P4", "course", 4, 200),
    7: ("电子工程师的职业发展", "academic", "电子 职业", "电子工程师需要哪些能力，如何从技术员成长为工程师。", "P4", "video_lecture", 0, 150),
    8: ("手持式用电工具安全使用", "safety", "安全 工具", "电钻、角磨机等手持式用电工具的安全操作要点。", "P5", "micro_course", 0, 400),
    9: ("电动工具与用电工具的保养", "safety", "工具 保养", "常见用电工具的日常保养和绝缘检查。", "P5", "micro_course", 0, 80),
    10: ("电子商务运营入门", "startup", "电商 运营", "开网店的第一课：选品、运营，以及店铺装修工程中的常见问题。", "P6", "course", 0, 1500),
    11: ("叉车司机安全操作规程", "logistics", "叉车 安全", "场内机动车辆叉车的安全操作规程和事故案例。", "P7", "course", 1, 800),
    12: ("叉车日常保养与故障排除", "logistics", "叉车 保养", "叉车的日常检查、保养和常见故障排除方法。", "P7", "video_lecture", 0, 300),
    13: ("仓库叉车驾驶实操", "logistics", "叉车 驾驶", "在仓库里驾驶叉车搬运、堆垛货物的实操训练。", "P8", "course", 1, 600),
    14: ("电动叉车充电与电池维护", "logistics", "叉车 电池", "电动叉车蓄电池的充电规范和维护保养。", "P8", "micro_course", 0, 100),
    15: ("母婴护理员（月嫂）岗位技能", "housekeeping", "母婴护理 月嫂", "月嫂上户必备：产妇护理、新生儿护理和月子餐。", "P9", "course", 2, 2000),
    16: ("新生儿护理与母乳喂养", "housekeeping", "母婴护理 新生儿", "新生儿洗澡、抚触、脐带护理和母乳喂养指导。", "P9", "video_lecture", 0, 900),
    17: ("产妇月子期护理要点", "housekeeping", "母婴护理 产妇", "产后恢复、饮食调理和常见问题的护理要点。", "P10", "micro_course", 0, 600),
    18: ("母婴护理师考证培训", "housekeeping", "母婴护理 考证", "母婴护理师职业技能等级认定的考前培训。", "P10", "course", 2, 700),
    19: ("育婴员：婴儿抚触与早期教育", "housekeeping", "育婴 早教", "育婴员的婴儿抚触、辅食添加和早期教育。", "P9", "course", 1, 500),
    20: ("养老护理员初级工培训", "elderly", "养老护理 护理员", "养老护理员初级工的生活照料和基础护理培训。", "P11", "course", 2, 800),
    21: ("失智老人照护技巧", "elderly", "养老护理 失智", "与失智老人沟通和日常照护的实用技巧。", "P11", "video_lecture", 0, 300),
    22: ("老年人康复护理基础", "elderly", "养老护理 康复", "老年人常见病的康复训练和护理基础。", "P12", "course", 1, 250),
    23: ("焊工入门：手工电弧焊", "manufacturing", "焊工 入门", "焊工入门培训，手工电弧焊的引弧、运条和收弧。", "P13", "course", 2, 650),
    24: ("氩弧焊实操训练", "manufacturing", "氩弧焊 焊接", "氩弧焊的设备调节和不锈钢焊接实操。", "P13", "video_lecture", 1, 420),
    25: ("二氧化碳气体保护焊工艺", "manufacturing", "焊工 保护焊", "二氧化碳气体保护焊的工艺参数和焊工操作要领。", "P14", "course", 1, 380),
    26: ("焊接缺陷分析与质量检验", "manufacturing", "焊接 质量", "气孔、夹渣、裂纹等焊接缺陷的成因和检验方法。", "P14", "course", 1, 200),
    27: ("电焊工安全防护", "manufacturing", "电焊 安全", "电焊作业中的触电、弧光和烟尘防护。", "P13", "micro_course", 0, 900),
    28: ("Python语言程序设计", "academic", "Python 编程", "零基础学习Python语言，掌握变量、循环和函数。", "P15", "course", 3, 5000),
    29: ("Python数据分析入门", "academic", "Python 数据分析", "用Python处理表格数据，制作统计图表。", "P15", "course", 2, 2600),
    30: ("用Python自动化办公", "academic", "Python 办公", "用Python批量处理Excel和Word文件。", "P16", "micro_course", 0, 3100),
    31: ("AutoCAD机械制图基础", "manufacturing", "CAD 制图", "用AutoCAD绘制机械零件图，掌握三视图和尺寸标注。", "P16", "course", 2, 1100),
    32: ("CAD建筑施工图识读", "construction", "CAD 识图", "读懂建筑施工图，用CAD查看和标注图纸。", "P17", "course", 1, 700),
    33: ("PLC编程与调试入门", "manufacturing", "PLC 编程", "PLC的工作原理、梯形图编程和调试方法。", "P18", "course", 2, 900),
    34: ("西门子PLC控制系统应用", "manufacturing", "PLC 西门子", "西门子S7-1200 PLC的硬件组态和控制程序。", "P18", "course", 2, 600),
    35: ("三菱PLC梯形图编程", "manufacturing", "PLC 三菱", "三菱FX系列PLC的梯形图和指令。", "P19", "video_lecture", 1, 550),
    36: ("C语言程序设计", "academic", "C语言 编程", "C语言的数据类型、指针和数组。", "P15", "course", 4, 4000),
    37: ("C++面向对象编程", "academic", "C++ 编程", "类、继承和多态，面向对象的C++程序设计。", "P15", "course", 3, 1800),
    38: ("数据结构（C语言版）", "academic", "数据结构 C语言", "用C语言实现链表、栈、队列和树。", "P20", "course", 4, 2200),
    39: ("钢筋工识图与绑扎", "construction", "钢筋工 绑扎", "钢筋工看懂结构图，完成梁、柱、板的钢筋绑扎。", "P17", "course", 1, 500),
    40: ("架子工脚手架搭设安全", "construction", "架子工 脚手架", "扣件式脚手架的搭设、验收和拆除安全。", "P17", "course", 1, 450),
    41: ("砌筑工砖墙砌筑技术", "construction", "砌筑工 砌墙", "砖墙砌筑的组砌方法、砂浆饱满度和质量要求。", "P21", "video_lecture", 0, 200),
    42: ("塔式起重机司机信号指挥", "construction", "塔吊 起重", "塔吊司机与信号工的指挥信号和安全操作。", "P21", "course", 1, 350),
    43: ("中式烹调师：浙菜制作", "catering", "烹饪 浙菜", "西湖醋鱼、东坡肉等浙菜名菜的制作。", "P22", "course", 1, 1300),
    44: ("中式面点师：包子与饺子", "catering", "面点 包子", "发面、和面和包子饺子的成形技巧。", "P22", "video_lecture", 0, 1700),
    45: ("餐厅服务员礼仪与摆台", "catering", "服务员 礼仪", "中餐摆台、点菜和宴会服务礼仪。", "P23", "micro_course", 0, 400),
    46: ("食品安全与厨房卫生", "catering", "食品安全 卫生", "厨房卫生规范和食物中毒的预防。", "P23", "micro_course", 0, 600),
    47: ("物业管理员：业主沟通技巧", "property", "物业 沟通", "物业服务中的投诉处理和业主沟通。", "P24", "course", 1, 300),
    48: ("保安员门岗执勤与巡逻", "property", "保安 巡逻", "保安员门岗执勤、巡逻和突发事件处置。", "P24", "course", 1, 500),
    49: ("电梯维保安全规范", "property", "电梯 维保", "电梯维护保养的安全规范和困人救援。", "P25", "course", 1, 250),
    50: ("家政服务员家居保洁", "housekeeping", "家政 保洁", "家居保洁的流程、工具和清洁剂的使用。", "P26", "video_lecture", 0, 900),
    51: ("收纳整理师入门", "housekeeping", "收纳 整理", "衣橱和厨房的收纳整理方法。", "P26", "micro_course", 0, 1000),
    52: ("快递员派送与客户服务", "logistics", "快递 派送", "快件派送路线规划和客户沟通。", "P27", "micro_course", 0, 800),
    53: ("仓储管理员库存盘点", "logistics", "仓储 盘点", "仓库的出入库管理和定期盘点。", "P27", "course", 1, 350),
    54: ("物流仓储信息系统", "logistics", "仓储 信息系统", "仓储管理系统和条码扫描的使用。", "P28", "course", 1, 250),
    55: ("光伏组件安装与并网发电", "energy", "光伏 发电", "屋顶光伏组件的安装、接线和并网。", "P28", "course", 2, 300),
    56: ("新能源汽车维修基础", "manufacturing", "新能源汽车 维修", "新能源汽车高压系统的安全和维修基础。", "P29", "course", 2, 1500),
    57: ("汽车电器故障诊断", "manufacturing", "汽车 电器", "汽车电路图识读和电器故障诊断。", "P29", "video_lecture", 1, 600),
    58: ("数控车床编程与操作", "manufacturing", "数控 车床", "数控车床的G代码编程和对刀操作。", "P30", "course", 2, 700),
    59: ("钳工划线与锉削", "manufacturing", "钳工 锉削", "钳工的划线、锯削和锉削基本功。", "P30", "video_lecture", 1, 300),
    60: ("安全生产法律法规解读", "safety", "安全生产 法规", "安全生产法和职工的安全权利与义务。", "P31", "course", 1, 1100),
    61: ("职工劳动合同与权益保护", "literacy", "劳动合同 权益", "签订劳动合同要注意什么，如何维护自己的权益。", "P31", "micro_course", 0, 2000),
    62: ("工伤保险申请指南", "literacy", "工伤 保险", "发生工伤后如何认定和申请工伤保险待遇。", "P31", "micro_course", 0, 1400),
    63: ("心理健康：压力与情绪调节", "literacy", "心理健康 情绪", "在外务工的压力管理和情绪调节方法。", "P32", "video_lecture", 0, 800),
    64: ("职业生涯规划：从农民工到技术工人", "literacy", "职业规划", "制定学习计划，考取职业技能等级证书。", "P32", "course", 1, 600),
    65: ("普通话水平测试训练", "literacy", "普通话", "普通话水平测试的朗读和说话训练。", "P33", "course", 1, 900),
    66: ("城市生活常识：租房与出行", "literacy", "租房 出行", "租房合同、公共交通和社区服务。", "P33", "micro_course", 0, 700),
    67: ("返乡创业项目选择", "startup", "返乡创业 项目", "返乡创业如何选项目、算成本和找政策支持。", "P34", "course", 1, 500),
    68: ("农村电商与直播带货", "startup", "电商 直播带货", "农产品网店运营和直播带货的技巧。", "P34", "course", 1, 1800),
    69: ("小微企业财务管理入门", "startup", "财务 记账", "小微企业的记账、报税和成本控制。", "P35", "course", 1, 400),
    70: ("计算机应用基础", "academic", "计算机 办公", "Windows操作、Word文档和Excel表格。", "P4", "course", 4, 3000),
    71: ("高等数学（专升本）", "academic", "高等数学 专升本", "函数、极限、导数与积分。", "P4", "course", 5, 2500),
    72: ("大学英语（高起本）", "academic", "英语 高起本", "大学英语阅读、写作和翻译。", "P4", "course", 4, 1900),
    73: ("机电一体化技术", "manufacturing", "机电 自动化", "传感器、电机驱动和自动化生产线。", "P19", "course", 3, 650),
    74: ("电气控制线路安装", "energy", "电气 线路", "继电器接触器控制线路的安装与调试。", "P2", "course", 2, 520),
    75: ("电机与变压器维修", "energy", "电机 变压器", "三相异步电动机和变压器的拆装与维修。", "P2", "course", 2, 310),
    76: ("安全用电常识", "safety", "安全 用电", "家庭和工地的安全用电常识，防止触电事故。", "P5", "micro_course", 0, 2200),
    77: ("消防设施操作员培训", "property", "消防 设施", "消防控制室值班和消防设施的检查维护。", "P25", "course", 2, 600),
    78: ("茶艺师：绿茶冲泡技艺", "catering", "茶艺 绿茶", "龙井等绿茶的冲泡方法和茶艺礼仪。", "P35", "video_lecture", 0, 350),
    79: ("美容美发基础", "housekeeping", "美容 美发", "洗剪吹和基础护肤的服务流程。", "P36", "course", 1, 450),
    80: ("电子元器件识别与焊接", "manufacturing", "电子 焊接", "电阻、电容、二极管的识别和电路板焊接。", "P20", "course", 1, 380),
}

PROVIDERS = {f"P{i}": name for i, name in enumerate([
    "", "杭州职业技术学院", "宁波职业技术学院", "温州技师学院", "浙江开放大学", "萧山区总工会职工学校",
    "绍兴社区学院", "义乌物流职业培训学校", "宁波港职工学校", "杭州家政服务职业培训学校", "温州母婴护理培训中心",
    "嘉兴养老护理职业培训学校", "湖州健康护理学院", "金华技师学院", "台州焊接培训中心", "浙江工商职业技术学院",
    "宁波城市职业技术学院", "浙江建设技师学院", "杭州自动化职业培训学校", "嘉兴职业技术学院", "杭州电子职业技术学校",
    "衢州建筑工匠学校", "杭州烹饪职业培训学校", "舟山旅游职业学校", "宁波物业管理协会培训中心", "杭州特种设备培训中心",
    "金华社区学院", "义乌快递行业协会", "丽水新能源培训中心", "温州汽车技师学院", "台州数控技术学校",
    "浙江省总工会职工学校", "杭州心理健康服务中心", "浙江语言文字培训中心", "丽水返乡创业学院", "湖州茶艺职业培训学校",
    "温州美容美发培训学校"])}


def documents() -> list[ResourceDoc]:
    start = datetime(2024, 1, 1)
    docs = []
    for rid, (title, menu, tags, summary, provider, kind, credits, enrolled) in ROWS.items():
        codes, names, industry = MENU[menu]
        docs.append(ResourceDoc(
            id=rid, title=title, kind=kind, summary=summary,
            description_html=f"<p>{summary}</p><p>本课程适合利用碎片时间在手机上学习，不脱产、不离岗。</p>",
            categories=codes, category_names=names, industries=[industry] if industry else [],
            audiences=["general"], provider=provider, provider_name=PROVIDERS[provider],
            teachers=["王老师"], tags=tags.split(), lessons=[f"第1讲 {title}概述", "第2讲 实操演示"],
            credits=credits, published_at=start + timedelta(days=rid), enrolled=enrolled))
    return docs


SYNONYMS = {"铲车": ["叉车"], "月嫂": ["母婴护理"], "电焊": ["焊工"]}
