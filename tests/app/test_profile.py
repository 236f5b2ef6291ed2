"""The worker profile: every field validated with a clear message, nothing lost on a bad save,
and the ID number never shown in full."""

import pytest

from app.accounts.models import WorkerProfile
from tests.conftest import post_form

VALID_ID = "11010519491231002X"  # the GB 11643 example number, checksum valid
GOOD = {"real_name": "张三明", "id_number": VALID_ID, "employer": "萧山华成电器有限公司",
        "employer_type": "enterprise", "job_level": "front_line", "union_member": "y", "union_code": "330109",
        "contract_start": "2025-09-01", "contract_end": "2026-08-31", "education": "high_school"}


@pytest.fixture
def worker(auth):
    return auth.as_role("worker")


def save(client, **changes):
    data = {**GOOD, **changes}
    return post_form(client, "/me/profile", {k: v for k, v in data.items() if v is not None})


def test_profile_saves_and_shows_the_id_number_masked(client, db, worker):
    assert save(client).status_code == 302
    page = client.get("/me/profile").get_data(as_text=True)
    assert "已保存" in page
    assert VALID_ID not in page and "1101**********002X" in page
    profile = db.session.query(WorkerProfile).one()
    assert profile.union.code == "330109" and profile.contract_end.isoformat() == "2026-08-31"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id_number", "110105194912310021", "身份证号码不正确"),   # wrong check digit
    ("id_number", "11010519491231002", "身份证号码不正确"),    # 17 characters
    ("id_number", "110105194913310028", "身份证号码不正确"),   # month 13
    ("id_number", "abcdefghijklmnopqr", "身份证号码不正确"),
    ("contract_start", "2025/09/01", "日期格式应为"),
    ("contract_end", "2024-01-01", "合同结束日期不能早于开始日期"),
    ("job_level", "boss", "请从列表中选择"),
    ("education", "phd", "请从列表中选择"),
    ("employer_type", "army", "请从列表中选择"),
    ("union_code", "999999", "请选择您所在的工会"),
    ("union_code", "", "是工会会员时，请选择所在工会"),
    ("real_name", "名" * 51, "姓名最多50个字"),
    ("employer", "单位\x07名", "不能包含控制字符"),
])
def test_bad_field_gets_a_message_and_nothing_is_saved(client, db, worker, field, value, message):
    response = save(client, **{field: value})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "其他内容尚未保存" in body
    assert db.session.query(WorkerProfile).count() == 0


def test_a_bad_save_keeps_what_was_saved_before(client, db, worker):
    save(client)
    assert save(client, employer="新单位", id_number="123").status_code == 400
    db.session.expire_all()
    profile = db.session.query(WorkerProfile).one()
    assert profile.employer == "萧山华成电器有限公司" and profile.id_number == VALID_ID


def test_leaving_the_id_blank_keeps_the_one_on_file(client, db, worker):
    save(client)
    assert save(client, id_number="", employer="新单位").status_code == 302
    db.session.expire_all()
    profile = db.session.query(WorkerProfile).one()
    assert profile.id_number == VALID_ID and profile.employer == "新单位"


def test_lowercase_x_is_accepted(client, db, worker):
    assert save(client, id_number=VALID_ID.lower()).status_code == 302
    assert db.session.query(WorkerProfile).one().id_number == VALID_ID


def test_one_id_number_cannot_serve_two_accounts(app, client, auth, db, worker):
    save(client)
    auth.logout()
    auth.as_role("worker")
    response = save(client)
    assert response.status_code == 400 and "已被其他账号使用" in response.get_data(as_text=True)


def test_profile_needs_login(client):
    response = client.get("/me/profile")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
