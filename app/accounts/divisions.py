"""Zhejiang's union hierarchy down to county level: the province, its 11 cities and 90
counties/districts with their national administrative-division codes (GB/T 2260, as published by
the National Bureau of Statistics for 2023). Public facts, typed in by us. Townships (1,387 of
them) are imported with `qiuxue orgs import FILE` or added by admins."""

from __future__ import annotations

PROVINCE = ("330000", "浙江省")

# city code, city name, then "code name" pairs of its counties and districts
_CITIES = """
330100 杭州市: 330102 上城区, 330105 拱墅区, 330106 西湖区, 330108 滨江区, 330109 萧山区, 330110 余杭区,
  330111 富阳区, 330112 临安区, 330113 临平区, 330114 钱塘区, 330122 桐庐县, 330127 淳安县, 330182 建德市
330200 宁波市: 330203 海曙区, 330205 江北区, 330206 北仑区, 330211 镇海区, 330212 鄞州区, 330213 奉化区,
  330225 象山县, 330226 宁海县, 330281 余姚市, 330282 慈溪市
330300 温州市: 330302 鹿城区, 330303 龙湾区, 330304 瓯海区, 330305 洞头区, 330324 永嘉县, 330326 平阳县,
  330327 苍南县, 330328 文成县, 330329 泰顺县, 330381 瑞安市, 330382 乐清市, 330383 龙港市
330400 嘉兴市: 330402 南湖区, 330411 秀洲区, 330421 嘉善县, 330424 海盐县, 330481 海宁市, 330482 平湖市,
  330483 桐乡市
330500 湖州市: 330502 吴兴区, 330503 南浔区, 330521 德清县, 330522 长兴县, 330523 安吉县
330600 绍兴市: 330602 越城区, 330603 柯桥区, 330604 上虞区, 330624 新昌县, 330681 诸暨市, 330683 嵊州市
330700 金华市: 330702 婺城区, 330703 金东区, 330723 武义县, 330726 浦江县, 330727 磐安县, 330781 兰溪市,
  330782 义乌市, 330783 东阳市, 330784 永康市
330800 衢州市: 330802 柯城区, 330803 衢江区, 330822 常山县, 330824 开化县, 330825 龙游县, 330881 江山市
330900 舟山市: 330902 定海区, 330903 普陀区, 330921 岱山县, 330922 嵊泗县
331000 台州市: 331002 椒江区, 331003 黄岩区, 331004 路桥区, 331022 三门县, 331023 天台县, 331024 仙居县,
  331081 温岭市, 331082 临海市, 331083 玉环市
331100 丽水市: 331102 莲都区, 331121 青田县, 331122 缙云县, 331123 遂昌县, 331124 松阳县, 331125 云和县,
  331126 庆元县, 331127 景宁畲族自治县, 331181 龙泉市
"""


def cities() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(city code, city name, [(county code, county name), ...]), ...] in code order."""
    result: list[tuple[str, str, list[tuple[str, str]]]] = []
    for block in " ".join(_CITIES.split("\n  ")).strip().splitlines():
        head, rest = block.split(":", 1)
        code, name = head.split()
        counties = [tuple(pair.split()) for pair in rest.split(",")]
        result.append((code, name, [(c, n) for c, n in counties]))
    return result


def union_name(division_name: str, township: bool = False) -> str:
    """浙江省 -> 浙江省总工会, 西湖区 -> 西湖区总工会; a township's union: 龙南乡 -> 龙南乡工会."""
    return division_name + ("工会" if township else "总工会")
