"""The labelled query set over the DEMO catalog (the one `make run` ships): recall@10 per kind of query, and
the cross-word accidents that must never rank first. Resources reach the index as in production: the catalog
demo writes outbox events and the indexer drains them."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from catalog.models import Resource, ResourceStatus
from search import indexer, synonyms
from search.backend import SearchRequest

ELECTRICIANS = {"电工（初级）上岗培训", "低压电工作业安全技术", "维修电工（中级）考证辅导"}
FORKLIFTS = {"叉车司机操作培训", "叉车日常保养与点检"}
WELDERS = {"焊工（初级）：手工电弧焊", "电焊作业安全防护"}
MATERNITY = {"母婴护理员（月嫂）岗位技能", "新生儿护理入门"}
ELDERLY = {"养老护理员（初级）"}
MANDARIN = {"普通话水平提升", "普通话：前后鼻音分得清"}
# (kind, query, titles expected in the top 10)
LABELLED = [
    ("word", "电工", ELECTRICIANS), ("word", "叉车", FORKLIFTS), ("word", "焊工", WELDERS),
    ("word", "母婴护理", MATERNITY), ("word", "养老护理", ELDERLY), ("word", "普通话", MANDARIN),
    ("word", "光伏", {"光伏电站运行与维护"}), ("word", "数控", {"数控车床操作与编程"}),
    ("word", "钢筋", {"钢筋工（中级）技能培训"}), ("word", "劳动合同", {"劳动合同与工资权益"}),
    ("word", "仓储", {"仓储管理实务"}), ("word", "电子工程", {"电子工程导论（专科）"}),
    ("word", "用电工具", {"手持式用电工具安全使用"}), ("word", "C语言", {"C语言程序设计（专科）"}),
    ("word", "Python", {"Python语言程序设计（专科）"}), ("word", "CAD", {"AutoCAD机械制图"}),
    ("word", "PLC", {"PLC编程与调试入门"}), ("word", "垃圾分类", {"杭州垃圾分类四分法"}),
    ("word", "工伤", {"工伤认定与赔偿"}), ("word", "民宿", {"民宿开办的五个步骤"}),
    ("multi", "叉车 保养", {"叉车日常保养与点检"}), ("multi", "电工 考证", {"维修电工（中级）考证辅导"}),
    ("multi", "养老 护理员", ELDERLY), ("multi", "焊工培训", {"焊工（初级）：手工电弧焊"}),
    ("multi", "安全 用电", {"低压电工作业安全技术", "手持式用电工具安全使用"}),
    ("multi", "西门子 PLC", {"PLC编程与调试入门"}), ("multi", '"触电急救"', {"低压电工作业安全技术"}),
    ("multi", "心理健康 压力", {"职工心理健康：压力与情绪管理"}),
    ("pinyin", "diangong", ELECTRICIANS), ("pinyin", "dian gong", ELECTRICIANS), ("pinyin", "chache", FORKLIFTS),
    ("pinyin", "hangong", {"焊工（初级）：手工电弧焊"}), ("pinyin", "muyinghuli", MATERNITY),
    ("pinyin", "yanglao", ELDERLY), ("pinyin", "putonghua", MANDARIN), ("pinyin", "guangfu", {"光伏电站运行与维护"}),
    ("initials", "dg", ELECTRICIANS), ("initials", "cc", FORKLIFTS), ("initials", "myhl", MATERNITY),
    ("initials", "pth", MANDARIN), ("initials", "ylhl", ELDERLY),
    ("synonym", "铲车", FORKLIFTS), ("synonym", "月嫂", MATERNITY), ("synonym", "电焊", WELDERS),
    ("typo", "叉车司几", {"叉车司机操作培训"}), ("typo", "母婴户理", MATERNITY), ("typo", "pyhton",
                                                                                {"Python语言程序设计（专科）"}),
    ("typo", "diangnog", ELECTRICIANS), ("typo", "电公", ELECTRICIANS), ("typo", "putonhua", MANDARIN),
]
MIN_RECALL = {"word": 1.0, "multi": 1.0, "pinyin": 1.0, "initials": 0.9, "synonym": 1.0, "typo": 0.9}
# query -> titles that must never rank first (words hiding inside other words)
NEVER_FIRST = {
    "电工": {"电子工程导论（专科）", "手持式用电工具安全使用"},
    "diangong": {"电子工程导论（专科）", "手持式用电工具安全使用"},
    "dg": {"电子工程导论（专科）", "手持式用电工具安全使用"},
    "电子工程": {"机电一体化技术（专科）：电工电子基础"},
    "焊工": {"焊接缺陷分析与质量检验"},
    "C语言": {"大学语文（高起本）"},
}


@pytest.mark.demo
def test_labelled_queries_over_the_demo_catalog(app, db):
    backend = app.extensions["search"]
    assert indexer.drain_all(db.session, backend) > 0
    published = dict(db.session.execute(select(Resource.title, Resource.id)
                                        .where(Resource.status == ResourceStatus.published)).all())
    titles = {rid: title for title, rid in published.items()}
    mapping = synonyms.mapping(db.session)
    assert len(LABELLED) >= 40 and {kind for kind, _q, _e in LABELLED} == set(MIN_RECALL)

    def top(query: str) -> list[str]:
        return [titles[h.id] for h in backend.search(SearchRequest(q=query, synonyms=mapping)).hits[:10]]

    recalls: dict[str, list[float]] = defaultdict(list)
    misses = []
    for kind, query, expected in LABELLED:
        assert expected <= set(published), expected - set(published)  # the demo holds what we look for
        found = set(top(query))
        recalls[kind].append(len(found & expected) / len(expected))
        if not expected <= found:
            misses.append((kind, query, sorted(expected - found)))
    for kind, values in recalls.items():
        assert sum(values) / len(values) >= MIN_RECALL[kind], (kind, misses)
    for query, never in NEVER_FIRST.items():
        ranked = top(query)
        assert ranked and ranked[0] not in never, (query, ranked[:3])
    assert not set(top("电工")) & {"电子工程导论（专科）", "手持式用电工具安全使用"}  # not anywhere
    assert backend.search(SearchRequest(q="母婴户理")).suggestion == "母婴护理"
    corrected = backend.search(SearchRequest(q="pyhton"))
    assert corrected.corrected_from == "pyhton" and corrected.suggestion == "python" and corrected.total >= 1
