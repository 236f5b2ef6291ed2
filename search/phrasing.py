"""How a worker phrases a search on a phone, read back into the words of the catalog (used by search.query).

- Spaces between Chinese characters (叉 车, 电焊 工): a single character is glued to its neighbour, and so is a
  pair jieba reads as one known word; two real words stay two terms (电工 证书 means 电工 and 证书).
- Questions (电工证怎么考, 哪里可以学电焊): a short curated list of question and filler words is dropped when the
  query holds something else to look for; a query of nothing else is searched as typed.
- Certificates (叉车证, 电工证书, 考证 in a question): the trade is what must match; the certificate becomes a
  preference (the trade's documents about 考证, 证书, 操作证 rank first), never a requirement. Typed apart from
  the trade without a question (电工 证书) it stays a term.
- Colloquial names (保姆, 护工, 水电工): synonyms built in for every site, onto the official occupation names of
  《中华人民共和国职业分类大典（2022年版）》 and the words catalogs use; the admins' table adds the site's own.

Pure: word lists and string work over `search.analysis`; no index, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from search import analysis

CHUNK_RE = re.compile(rf"[a-z0-9.+#{analysis.CJK}]+")
CJK_ONLY_RE = re.compile(rf"[{analysis.CJK}]+")

# Words that only say "this is a question" (some are analysis.STOPWORDS too: they are dropped from any text,
# but here they also tell a question from a plain list of terms).
_QUESTION_TEXT = """
怎么 如何 怎样 怎么样 怎么办 什么 什么时候 哪里 哪儿 在哪 在哪里 哪个 哪家 哪些 吗 呢 么 多少 多少钱 多久
可以 能不能 有没有 好不好 咋 啥 啥时候
"""
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
# Words a question wraps around the subject: dropped when something else is left. Kept short on purpose; no
# subject word (培训, 课程, 安全) is here, however common.
_FILLER_TEXT = "考 去考 报考 报名 钱 需要 想 想学 学 要学 我要 我想 去 办 好"
FILLER_WORDS = QUESTION_WORDS | frozenset(_FILLER_TEXT.split())
# A certificate spoken of as a thing to get; with a trade next to it, the trade is the subject.
_CERTIFICATE_TEXT = "证 证书 考证 拿证 取证 考试 资格证 资格证书 上岗证 操作证 等级证 等级证书"
CERTIFICATE_WORDS = frozenset(_CERTIFICATE_TEXT.split())
CERTIFICATE_SUFFIXES = ("资格证书", "等级证书", "资格证", "上岗证", "操作证", "等级证", "证书", "证")
NOT_CERTIFICATES = frozenset({"身份证", "居住证", "暂住证", "许可证", "工作证", "学生证", "结婚证", "出生证", "保证书"})
# Words of documents that are about obtaining a certificate: what the certificate preference favours.
CERTIFICATE_TOPICS = ("考证", "证书", "操作证", "上岗证", "资格证", "认定", "复审", "考核", "考取", "取证", "鉴定")


@dataclass(frozen=True)
class Occupation:
    """Colloquial names of one trade, what they also find: its official names in the 2022 classification
    (checked against ../shared/data/occupations_2022.csv by the tests) and the words catalogs title it with."""

    colloquial: tuple[str, ...]
    official: tuple[str, ...] = ()
    catalog: tuple[str, ...] = ()


OCCUPATIONS = (
    Occupation(("叉车工", "叉车师傅", "开叉车"), ("起重装卸机械操作工",),
               ("叉车司机", "叉车", "场内机动车辆", "厂内机动车辆")),
    Occupation(("月嫂", "母婴护理师", "母婴师"), (), ("母婴护理员", "母婴护理")),
    Occupation(("育婴", "育婴员", "育婴师", "育儿嫂"), ("婴幼儿发展引导员",), ("育婴员", "育婴")),
    Occupation(("保姆", "家政阿姨", "钟点工"), ("家政服务员",), ("家政",)),
    Occupation(("电焊", "电焊工", "焊接工", "电焊师傅"), ("焊工",)),
    Occupation(("水电工", "电工师傅"), ("电工",)),
    Occupation(("厨师", "大厨", "炒菜师傅"), ("中式烹调师",), ("烹调", "烹饪")),
    Occupation(("保安",), ("保安员",)),
    Occupation(("快递小哥", "送快递"), ("快递员", "快件处理员"), ("快递",)),
    Occupation(("挖掘机", "挖机", "勾机", "挖掘机司机"), ("挖掘铲运和桩工机械司机",), ("挖掘机驾驶员", "挖掘机")),
    Occupation(("护工", "陪护"), ("养老护理员", "医疗护理员")),
    Occupation(("瓦工", "泥瓦工", "泥水工"), ("砌筑工",)),
    Occupation(("装卸工", "搬运工"), ("装卸搬运工",)),
    Occupation(("塔吊司机", "开塔吊"), (), ("塔式起重机司机", "塔吊")),
    Occupation(("电梯工",), ("电梯安装维修工",), ("电梯",)),
    Occupation(("保洁阿姨", "清洁工"), ("保洁员",), ("保洁",)),
)


def _colloquial() -> dict[str, tuple[str, ...]]:
    mapping: dict[str, tuple[str, ...]] = {}
    for occupation in OCCUPATIONS:
        for name in occupation.colloquial:
            also = (*occupation.official, *occupation.catalog)
            mapping[name] = tuple(dict.fromkeys(t for t in (*mapping.get(name, ()), *also) if t != name))
    return mapping


COLLOQUIAL: dict[str, tuple[str, ...]] = _colloquial()  # colloquial name -> what it also finds (one way)


@dataclass(frozen=True)
class Reading:
    chunks: tuple[str, ...]  # what to search, in order: Chinese runs and Latin words as query.parse takes them
    certificate: bool = False  # the question was about getting a certificate
    spaced: tuple[tuple[str, str], ...] = ()  # (glued chunk, as typed with its spaces): a text may hold it so too


@lru_cache(maxsize=20_000)
def read(text: str, quoted: bool = False) -> Reading:
    """The chunks of a normalised, unquoted query with spaced characters joined and question phrasing read;
    `quoted`: the query also holds a quoted phrase (content to look for). Cached: a site's queries repeat."""
    chunks, typed = _joined(text)
    reading = _plain(chunks, quoted)
    spaced = tuple((chunk, typed[chunk]) for chunk in dict.fromkeys(reading.chunks) if chunk in typed)
    return Reading(reading.chunks, reading.certificate, spaced)


def _joined(text: str) -> tuple[list[str], dict[str, str]]:
    """CHUNK_RE's chunks, with Chinese chunks apart only by spaces glued where one is a single character or
    the two make one dictionary word (叉 车 -> 叉车; 电工 证书 stays two); and each glued chunk as typed."""
    chunks: list[str] = []
    typed: dict[str, str] = {}
    previous_end, glue = -1, False
    for match in CHUNK_RE.finditer(text):
        chunk = match.group()
        cjk = CJK_ONLY_RE.fullmatch(chunk) is not None
        if (chunks and glue and cjk and text[previous_end:match.start()].isspace()
                and (len(chunks[-1]) == 1 or len(chunk) == 1 or analysis.is_dictionary_word(chunks[-1] + chunk))):
            typed[chunks[-1] + chunk] = f"{typed.get(chunks[-1], chunks[-1])} {chunk}"
            chunks[-1] += chunk
        else:
            chunks.append(chunk)
        previous_end, glue = match.end(), cjk
    return chunks, typed


def certificate_stem(word: str) -> str | None:
    """The trade in a certificate's name (电工证 -> 电工, 焊工证书 -> 焊工); None when `word` is not one."""
    if "证" not in word or word in NOT_CERTIFICATES:  # every suffix holds 证
        return None
    for suffix in CERTIFICATE_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[:-len(suffix)]
    return None


def _made_of_filler(word: str) -> bool:
    """A word jieba guessed (no dictionary entry) from filler and stopword characters only: 我想学, 要学."""
    return (len(word) > 1 and all(ch in FILLER_WORDS or ch in analysis.STOPWORDS for ch in word)
            and not analysis.is_dictionary_word(word))


def _kinds(chunk: str) -> list[tuple[str, int, int, str]]:
    """(word, start, end, kind) with kind one of question, filler, certificate, stop, content."""
    out = []
    for word, start, end in analysis.segments(chunk):
        if word in QUESTION_WORDS:
            kind = "question"
        elif word in FILLER_WORDS or _made_of_filler(word):
            kind = "filler"
        elif word in CERTIFICATE_WORDS:
            kind = "certificate"
        elif word in analysis.STOPWORDS or not word.strip():
            kind = "stop"
        else:
            kind = "content"
        out.append((word, start, end, kind))
    return out


def _plain(chunks: list[str], quoted: bool) -> Reading:
    """Drop question and filler words (and a certificate word beside a trade, remembered) when content is left.
    A removed word splits its chunk: what stood on either side of it is not required to stand together."""
    analysed = [_kinds(chunk) for chunk in chunks]
    if not quoted and not any(kind == "content" for words in analysed for *_w, kind in words):
        return Reading(tuple(chunks))  # nothing else to look for (报名, 考证): searched as typed
    out: list[str] = []
    certificate = False
    for chunk, words in zip(chunks, analysed, strict=True):
        kinds = {kind for *_w, kind in words}
        asked = bool(kinds & {"question", "filler"})
        drop_certificate = "content" in kinds or asked
        run: list[tuple[int, int]] = []
        for word, start, end, kind in words:
            dropped = kind in ("question", "filler") or (kind == "certificate" and drop_certificate)
            certificate = certificate or (kind == "certificate" and drop_certificate) or \
                (kind == "content" and certificate_stem(word) is not None)
            if dropped:
                if run:
                    out.append(chunk[run[0][0]:run[-1][1]])
                run = []
            elif kind != "stop":
                run.append((start, end))
        if run:
            out.append(chunk[run[0][0]:run[-1][1]])
    return Reading(tuple(out), certificate)
