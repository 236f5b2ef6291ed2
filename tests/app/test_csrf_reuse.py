"""A page's CSRF token (app/csrf_tokens.py `CheckedOnceCSRF.token`): signed once for a session's value and handed
out again on its next pages, never to another session; a new key signs a new one and the old one is refused."""

from itsdangerous import URLSafeTimedSerializer

from app.csrf_tokens import SALT
from app.extensions import db
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import CSRF_RE, Auth


def _signed_in(app, phone: str):
    client = app.test_client()
    assert Auth(app, client).login(phone).status_code == 302
    return client


def test_a_sessions_token_is_signed_once_and_a_new_key_signs_another(app, monkeypatch):
    with app.app_context():
        course = make(title="叉车安全", kind="course", lesson_count=1, publish=True)
        phones = [factories.user("worker", name=name).phone for name in ("甲", "乙")]
        db.session.commit()
        url = f"/catalog/r/{course.id}"
    first, second = (_signed_in(app, phone) for phone in phones)
    signed: list[str] = []
    dumps = URLSafeTimedSerializer.dumps

    def counted(self, obj, salt=None):  # itsdangerous's, counting the CSRF tokens it signs
        if self.salt == SALT.encode():
            signed.append(obj)
        return dumps(self, obj, salt)

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", counted)
    tokens = [CSRF_RE.search(first.get(url).get_data(as_text=True)).group(1) for _page in range(3)]
    assert len(set(tokens)) == 1 and len(signed) == 1
    other = CSRF_RE.search(second.get(url).get_data(as_text=True)).group(1)
    assert other != tokens[0] and len(signed) == 2
    app.config["WTF_CSRF_SECRET_KEY"] = "a-new-key-for-csrf-tokens"
    renewed = CSRF_RE.search(first.get(url).get_data(as_text=True)).group(1)
    assert renewed != tokens[0] and len(signed) == 3
    assert first.post(f"/learning/enrol/{course.id}", data={"csrf_token": tokens[0]}).status_code == 400
    assert first.post(f"/learning/enrol/{course.id}", data={"csrf_token": renewed}).status_code == 302
