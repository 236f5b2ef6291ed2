"""At least 100 hostile strings through every text input, rendered in a real browser: no dialog,
no page error, and no injected element or attribute in the DOM. The DOM check matters because the
Content-Security-Policy would block inline script anyway; escaping must hold on its own."""

import pytest

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.extensions import db
from app.text import has_control_chars
from tests import factories
from tests.security.xss_payloads import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.render_once]

# Anything the page has that a payload could have put there (our own <details> are fine: a hostile one needs
# an on* attribute to act, which the first check finds).
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(el.tagName + '[' + attr.name + ']');
      const url = /^(href|src|action|formaction|data)$/i.test(attr.name);
      if (url && /^\\s*(javascript|vbscript|data):/i.test(attr.value))
        found.push(el.tagName + '[' + attr.name + '=' + attr.value.slice(0, 30) + ']');
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'TEMPLATE', 'STYLE', 'BASE', 'XSS', 'MARQUEE',
         'VIDEO', 'AUDIO', 'KEYGEN', 'ISINDEX'].includes(el.tagName.toUpperCase())
        && !(el.tagName === 'svg' && el.classList.contains('icon'))
        && !(el.tagName === 'SCRIPT' && (el.src.startsWith(location.origin) || el.type === 'application/ld+json')))
      found.push(el.tagName);
  }
  return found;
}"""


def _seed(app):
    """An institution whose staff have hostile names, under a county with hostile child organisations."""
    with app.app_context():
        # control characters are refused before they are stored (tests/app/test_pages.py)
        for i, payload in enumerate(p for p in PAYLOADS if not has_control_chars(p)):
            organisations.create_organisation(db.session, SYSTEM, parent_code="330106", code=f"ENT-X{i}",
                                              name=payload[:200], kind=OrgKind.enterprise)
            user = factories.user("worker", name=payload[:50])
            service.grant_role(db.session, user, Role.institution_staff,
                               organisations.get_by_code(db.session, factories.INSTITUTION))
        db.session.commit()


def assert_clean(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(INJECTED) == [], url
    assert page.js_errors == [], (url, page.js_errors)
    assert page.outside_requests == [], (url, page.outside_requests)


def test_hostile_names_render_as_text(app, page, login):
    _seed(app)
    login("union_staff", "330100")
    assert_clean(page, "/orgs/330106")            # 100 hostile organisation names
    assert_clean(page, f"/orgs/{factories.INSTITUTION}")  # 100 hostile staff names
    text = page.inner_text("main")
    assert "<script>alert(1)</script>"[:50] in text  # shown, as text


def test_hostile_profile_values_render_as_text(app, page, login):
    login("worker")
    for payload in PAYLOADS[::10]:
        page.goto("/me/profile")
        page.get_by_label("真实姓名").fill(payload[:50])
        page.get_by_label("工作单位").fill(payload[:200])
        page.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        assert page.evaluate(INJECTED) == [], payload
        assert page.get_by_label("工作单位").input_value() == payload[:200].replace("\x00", "") or \
            "无效字符" in page.content()
    assert page.js_errors == []


def test_the_dom_check_sees_an_injection(page):
    page.set_content('<p>ok</p><img src="/x.png" onerror="void 0"><a href="javascript:void 0">x</a><iframe></iframe>')
    assert sorted(page.evaluate(INJECTED)) == ["A[href=javascript:void 0]", "IFRAME", "IMG[onerror]"]
