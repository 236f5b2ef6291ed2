"""The compact dictionaries (search/wordfreq.py, search/pinyinwords.py) give the words and the pinyin that jieba's
and pypinyin's own dictionaries give: search finds the same, in a process a fraction of the size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from search import analysis, wordfreq

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("维修电工上岗证怎么考？叉车司机、焊工和养老护理员的培训课程。月嫂钢筋工电子商务创业，"
        "重庆银行的行长在长春参加了安全生产会议，音乐和快乐都很重要。普通话水平测试报名")


def test_the_compact_dictionary_cuts_text_as_jiebas_own_dictionary_does(tmp_path: Path) -> None:
    import jieba  # here: the plain tokenizer to compare with, as analysis loads it

    plain = jieba.Tokenizer()
    plain.tmp_dir, plain.cache_file = str(tmp_path), "jieba.cache"
    plain.initialize()
    for line in analysis.DICTIONARY.read_text(encoding="utf-8").splitlines():
        word, _sep, freq = line.partition(" ")
        if word and not word.startswith("#"):
            plain.add_word(word, int(freq) if freq.strip() else None)
    compact = analysis.jieba_tokenizer()
    assert isinstance(compact.FREQ, wordfreq.FrequencyTrie)
    assert compact.total == plain.total and len(compact.FREQ) == len(plain.FREQ)
    for text in (TEXT, *TEXT.split("，")):
        assert list(compact.cut(text)) == list(plain.cut(text))
        assert list(compact.cut(text, HMM=False)) == list(plain.cut(text, HMM=False))
    assert compact.FREQ.get("月嫂") == plain.FREQ["月嫂"] and compact.FREQ.get("不是一个词") is None


def test_a_kept_dictionary_is_read_back_whole_and_a_damaged_one_is_built_again(tmp_path: Path) -> None:
    built = wordfreq.build({"电工": 5, "电": 0, "安全": 7}, 12, tmp_path, "k")
    kept = wordfreq.load(tmp_path, "k")
    assert kept is not None and dict(kept) == dict(built) == {"电工": 5, "电": 0, "安全": 7} and kept.total == 12
    wordfreq.paths(tmp_path, "k")[1].write_bytes(b"\x00" * 8)  # counts cut short
    assert wordfreq.load(tmp_path, "k") is None
    assert wordfreq.load(tmp_path, "other") is None


def test_pinyin_of_words_with_several_readings_is_pypinyins_own(tmp_path: Path) -> None:
    """Each in a fresh process (pypinyin loads its dictionaries once per process): with our compact phrases, and
    with pypinyin's own (imported first, so the compact ones are not installed), for words whose characters read
    differently alone (重庆 chongqing, 银行 yinhang, 长春 changchun)."""
    script = """
import json, sys
if sys.argv[4] == "plain":
    import pypinyin
from search import analysis, pinyinwords
analysis.configure(sys.argv[1])
found = [analysis.word_pinyin(w) for w in sys.argv[2].split()] + [analysis.spelled(sys.argv[3])]
import pypinyin.constants
print(json.dumps([isinstance(pypinyin.constants.PHRASES_DICT, pinyinwords.Phrases)] + found))
"""
    words = "重庆 银行 行长 长春 音乐 快乐 维修电工 叉车司机 养老护理 重要 会计 朝阳 一丁点儿"

    def run(kind: str) -> list[object]:
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path), words, TEXT, kind], capture_output=True,
                             text=True, check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
        return list(json.loads(out.stdout))

    ours, plain = run("compact"), run("plain")
    assert ours[0] is True and plain[0] is False
    assert ours[1:] == plain[1:]
    assert ours[1:3] == [["chongqing", "cq"], ["yinhang", "yh"]] and ours[4] == ["changchun", "cc"]
