"""The analyzer, pure: jieba words, Latin words and numbers, sub-words only at word boundaries, pinyin."""

from __future__ import annotations

from search import analysis
from search.documents import ResourceDoc, fingerprint, html_to_text, to_document
from search.query import parse


def test_latin_words_and_numbers_tokenise_normally():
    assert analysis.words("C语言程序设计") == ["c", "语言", "程序设计"]
    assert analysis.words("Ｐｙｔｈｏｎ 入门") == ["python", "入门"]  # full-width folded, lower case
    assert analysis.words("AutoCAD 2020 与 PLC") == ["autocad", "2020", "plc"]  # 与 is a stopword
    assert analysis.words("C++ 和 C# 编程") == ["c++", "c#", "编程"]


def test_electrician_is_never_found_inside_other_words():
    for text in ("用电工具", "电子工程", "电动工具", "家用电器"):
        assert "电工" not in {p.text for p in analysis.pieces(text)}, text
    assert "电工" in {p.text for p in analysis.pieces("维修电工技能")}
    assert "动工" not in {p.text for p in analysis.pieces("电动工具")}


def test_neighbouring_words_are_indexed_as_pairs():
    assert "电子工程" in {p.text for p in analysis.pieces("电子与工程")}
    assert analysis.shingles(["叉车", "司机", "培训"]) == ["叉车司机", "司机培训"]


def test_pinyin_and_initials_of_whole_words():
    full, initials = analysis.pinyin_terms("维修电工技能")
    assert "diangong" in full and "dg" in initials
    assert "diangong" not in analysis.pinyin_terms("用电工具")[0]
    assert analysis.spelled("PLC编程") == ("plcbiancheng", "plcbc")


def test_documents_are_plain_and_fingerprinted():
    doc = ResourceDoc(id=7, title="电工", kind="course", description_html="<p>安全&amp;用电</p><script>x</script>")
    fields = to_document(doc)
    assert fields["id"] == "7" and "安全&用电" in fields["body"] and fields["has_credits"] == "0"
    assert html_to_text("<h2>标题</h2><p>正文</p>") == "标题 正文"
    assert fingerprint(doc) != fingerprint(ResourceDoc(id=7, title="焊工", kind="course"))


def test_query_phrases_pinyin_and_synonyms():
    known = {("title", "电子工程"), ("pinyin", "diangong"), ("initials", "dg"), ("title", "叉车")}

    def has(field, term):
        return (field, term) in known

    assert parse("电子工程", has).concepts[0].alternatives[0].tokens == ("电子工程",)
    assert parse("dian gong", has).concepts[0].alternatives[0].tokens == ("diangong",)
    assert parse("dg", has).concepts[0].alternatives[0].kind == "initials"
    synonym = parse("铲车培训", has, {"铲车": ["叉车"]})
    assert [c.text for c in synonym.concepts] == ["铲车", "培训"] and synonym.synonyms_used == (("铲车", "叉车"),)
    assert parse('"安全 操作"', has).concepts[0].alternatives[0].exact
