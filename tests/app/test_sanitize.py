"""The rich-text cleaner: hostile inputs come out harmless, and the formatting teachers use survives."""

import re
from html.parser import HTMLParser

import pytest

from app.sanitize import ALLOWED_TAGS, clean_html, clean_text, html_to_text, strip_markup


class _Tags(HTMLParser):
    """What a browser would build: every element and attribute of the cleaned output."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _elements(html: str):
    parser = _Tags()
    parser.feed(html)
    return parser.tags

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>document.cookie</script><p>ok</p>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<img src=\"vbscript:msgbox(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\" onmouseover=\"alert(2)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"evil.swf\"></object><embed src=\"evil.swf\">",
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<body onload=alert(1)>",
    "<div onmouseenter=alert(1)>hover</div>",
    "<input autofocus onfocus=alert(1)>",
    "<form action=\"https://evil.example\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<base href=\"https://evil.example/\">",
    "<details open ontoggle=alert(1)>x</details>",
    "<video><source onerror=alert(1)></video>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<textarea><script>alert(1)</script></textarea>",
    "<title><script>alert(1)</script></title>",
    "<!--<script>alert(1)</script>-->",
    "<p>a<![CDATA[<script>alert(1)</script>]]>b</p>",
    "<xmp><script>alert(1)</script></xmp>",
    "<a href=\"https://ok.example\" style=\"position:fixed;top:0\">x</a>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<h2 onclick=alert(1)>t</h2>",
    "\"><script>alert(1)</script>",
    "<img src=\"https://ok.example/a.png\" width=\"1\" height=\"1\" onload=\"alert(1)\">",
]

DANGEROUS = re.compile(
    r"<\s*(script|style|iframe|object|embed|svg|math|form|input|button|meta|link|base|body|details|video|source|"
    r"template|textarea|title|xmp|noscript)\b|\son\w+\s*=|javascript:|vbscript:|data:|style\s*=|srcdoc",
    re.IGNORECASE)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_is_made_harmless(payload):
    cleaned = clean_html(payload)
    assert not DANGEROUS.search(cleaned), cleaned
    for tag, attrs in _elements(cleaned):  # what is left is only allowlisted elements with inert attributes
        assert tag in ALLOWED_TAGS, cleaned
        for name, value in attrs:
            assert name in {"href", "title", "rel", "src", "alt", "width", "height", "colspan", "rowspan", "start"}
            assert "alert" not in (value or "") and "script" not in (value or "").lower(), cleaned


def test_there_are_at_least_thirty_hostile_inputs():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("payload", [
    "<p>前<script>alert('脚本')</script>后</p>", "<style>.x{color:red}</style><p>前后</p>",
    "<p>前<iframe src=x>框架里的字</iframe>后</p>",
])
def test_script_style_and_iframe_content_is_removed_not_shown_as_text(payload):
    cleaned = clean_html(payload)
    assert "alert" not in cleaned and "color:red" not in cleaned and "框架里的字" not in cleaned
    assert "前" in cleaned and "后" in cleaned


def test_formatting_survives():
    source = ("<h2>课程目标</h2><h3>小标题</h3><p>这是<b>加粗</b>、<strong>强调</strong>和<em>斜体</em>。</p>"
              "<ul><li>一</li><li>二</li></ul><ol start=\"3\"><li>三</li></ol>"
              "<a href=\"https://www.example.org/page?a=1&amp;b=2\" title=\"说明\">链接</a>"
              "<a href=\"/catalog/r/1\">站内</a><a href=\"mailto:x@example.org\">邮件</a>"
              "<img src=\"https://www.example.org/a.png\" alt=\"图\" width=\"320\" height=\"180\">"
              "<img src=\"/static/icons/favicon.svg\" alt=\"相对\">"
              "<table><tr><th>项目</th><td colspan=\"2\">值</td></tr></table><blockquote>引用</blockquote>")
    cleaned = clean_html(source)
    for kept in ("<h2>课程目标</h2>", "<h3>小标题</h3>", "<b>加粗</b>", "<strong>强调</strong>", "<em>斜体</em>",
                 "<ul><li>一</li><li>二</li></ul>", '<ol start="3">', 'href="https://www.example.org/page?a=1&amp;b=2"',
                 'title="说明"', 'href="/catalog/r/1"', 'href="mailto:x@example.org"',
                 '<img src="https://www.example.org/a.png" alt="图" width="320" height="180">',
                 'src="/static/icons/favicon.svg"', '<td colspan="2">值</td>', "<blockquote>引用</blockquote>"):
        assert kept in cleaned, (kept, cleaned)


def test_links_get_nofollow_noopener():
    cleaned = clean_html('<a href="https://example.org" rel="opener" target="_blank">x</a>')
    assert 'rel="nofollow noopener"' in cleaned and "target" not in cleaned and "opener\"" not in cleaned.replace(
        "noopener", "")


def test_image_urls_must_be_http_https_or_relative():
    assert 'src="ftp://x/a.png"' not in clean_html('<img src="ftp://x/a.png">')
    assert 'src="mailto:a@b"' not in clean_html('<img src="mailto:a@b">')
    assert 'src="http://x.example/a.png"' in clean_html('<img src="http://x.example/a.png">')


def test_non_numeric_sizes_are_dropped():
    assert "width" not in clean_html('<img src="/a.png" width="100%;x:expression(alert(1))">')


def test_plain_text_and_empty_values():
    assert clean_html("") == "" and clean_html(None) == "" and clean_html("   ") == ""
    assert clean_html("a < b & c") == "a &lt; b &amp; c"
    assert clean_text(" 标题\x00\x07 ") == "标题"
    assert html_to_text(clean_html("<p>一 &amp; 二</p><p>三</p>")) == "一 & 二\n三"


def test_cleaning_is_stable():
    once = clean_html(" ".join(HOSTILE) + "<h2>t</h2><a href='https://a.example'>a</a>")
    assert clean_html(once) == once


@pytest.mark.parametrize("payload, expected", [
    ("<script>alert(1)</script>理由", "理由"),
    ("<style>p{}</style><b>加粗</b> & 说明", "加粗 & 说明"),
    ("1 < 2 <img src=x onerror=alert(1)>", "1 < 2"),
    ("", ""),
])
def test_plain_text_fields_lose_every_tag_and_dangerous_content(payload, expected):
    """Reasons and evidence notes are plain text: tags go, script/style go with their content, and entities
    are decoded once (the template escapes), so "&" is not shown as "&amp;"."""
    assert strip_markup(payload) == expected
