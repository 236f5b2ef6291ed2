"""Resources through the services: validation, the workflow's states and history, the outbox rows that
search relies on, lessons, and covers."""

import pytest
from sqlalchemy import select

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Invalid
from app.outbox import OutboxEvent
from catalog import covers, lessons, service
from catalog.models import LessonType, ResourceKind, ResourceStatus
from tests import factories
from tests.catalog.helpers import make, png


def _events(db, resource_id):
    return db.session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "resource",
                                                        OutboxEvent.key == str(resource_id))).all()


def test_create_cleans_and_links_everything(db):
    staff = factories.user("institution_staff", "INST-T1")
    provider = organisations.get_by_code(db.session, "INST-T1")
    resource = service.create_resource(db.session, staff, provider, {
        "title": " 钢筋工培训 ", "kind": "网络课程", "summary": "简介",
        "category": "skills-construction；岗位技能/制造",
        "description": "<h2>目标</h2><script>alert(1)</script><p onclick='x()'>正文</p>",
        "industries": "建筑、manufacturing", "audience": "中级工;skill_3", "credits": "2.5", "hours": "40",
        "teachers": "黄建国（高级技师）；李梅", "tags": "钢筋;建筑工地", "external_url": "https://example.org/c"})
    assert resource.title == "钢筋工培训" and resource.kind == ResourceKind.course
    assert resource.description_html == "<h2>目标</h2><p>正文</p>"
    assert [c.code for c in resource.categories] == ["skills-construction", "skills-manufacturing"]
    assert {i.industry.value for i in resource.industries} == {"construction", "manufacturing"}
    assert {a.audience.value for a in resource.audiences} == {"skill_4", "skill_3"}
    assert [(t.name, t.title) for t in resource.teachers] == [("黄建国", "高级技师"), ("李梅", "")]
    assert {t.name for t in resource.tags} == {"钢筋", "建筑工地"} and resource.credits == 2.5
    assert resource.status == ResourceStatus.draft and resource.created_by_id == staff.id
    assert [(t.action, t.from_status, t.to_status) for t in resource.transitions] == [
        ("create", None, ResourceStatus.draft)]
    assert len(_events(db, resource.id)) == 1


def test_every_field_error_is_reported_at_once(db):
    provider = organisations.get_by_code(db.session, "INST-T1")
    with pytest.raises(Invalid) as err:
        service.create_resource(db.session, SYSTEM, provider, {
            "title": "", "kind": "lecture", "category": "nowhere", "credits": "两", "hours": "-1",
            "industries": "航天", "audience": "博士", "external_url": "javascript:alert(1)", "language": "中文"})
    assert set(err.value.fields) == {"title", "kind", "category", "credits", "hours", "industries", "audience",
                                     "external_url", "language"}


def test_full_workflow_is_recorded(db):
    staff = factories.user("institution_staff", "INST-T1")
    reviewer = factories.user("union_staff", "330100")
    resource = make(actor=staff)
    service.submit(db.session, staff, resource, "请审核")
    service.review(db.session, reviewer, resource, "return", "请补充简介")
    assert resource.status == ResourceStatus.returned and resource.status_comment == "请补充简介"
    service.update_resource(db.session, staff, resource, {"title": "改好了", "kind": "micro_course", "summary": "新",
                                                          "category": "skills-construction"})
    service.submit(db.session, staff, resource)
    service.review(db.session, reviewer, resource, "select")
    assert resource.status == ResourceStatus.published and resource.published_at is not None
    service.unpublish(db.session, reviewer, resource, "内容过时")
    rows = service.history(db.session, resource)
    assert [(r.action, r.from_status and r.from_status.value, r.to_status.value) for r in rows] == [
        ("create", None, "draft"), ("submit", "draft", "submitted"), ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"), ("select", "submitted", "published"),
        ("unpublish", "published", "unpublished")]
    assert rows[2].actor_id == reviewer.id and rows[2].actor_name == reviewer.name and rows[2].comment == "请补充简介"
    assert rows[-1].comment == "内容过时"
    # create + add_lesson + each of 6 later changes: one outbox row per committed change
    assert len(_events(db, resource.id)) == 8


@pytest.mark.parametrize(("status_steps", "call"), [
    ([], lambda s, r: service.review(s, SYSTEM, r, "select")),
    ([], lambda s, r: service.unpublish(s, SYSTEM, r, "原因")),
    ([], lambda s, r: service.withdraw(s, SYSTEM, r, "原因")),
    (["submit"], lambda s, r: service.submit(s, SYSTEM, r)),
    (["submit"], lambda s, r: service.update_resource(s, SYSTEM, r, {"title": "x", "kind": "course",
                                                                     "category": "academic"})),
    (["submit", "select"], lambda s, r: service.review(s, SYSTEM, r, "return", "原因")),
])
def test_transitions_from_the_wrong_state_are_conflicts(db, status_steps, call):
    resource = make()
    for step in status_steps:
        (service.submit(db.session, SYSTEM, resource) if step == "submit"
         else service.review(db.session, SYSTEM, resource, "select"))
    with pytest.raises(Conflict):
        call(db.session, resource)


def test_return_unpublish_and_withdraw_need_a_reason(db):
    resource = make()
    service.submit(db.session, SYSTEM, resource)
    with pytest.raises(Invalid):
        service.review(db.session, SYSTEM, resource, "return", "  ")
    with pytest.raises(Invalid):
        service.withdraw(db.session, SYSTEM, resource, "")
    with pytest.raises(Invalid):
        service.review(db.session, SYSTEM, resource, "maybe")


def test_cannot_submit_what_is_not_ready(db):
    empty = make(lesson_count=0)
    with pytest.raises(Invalid) as err:
        service.submit(db.session, SYSTEM, empty)
    assert err.value.code == "not_ready" and "课时" in err.value.message
    long_micro = make(lesson_count=0)
    lessons.add_lesson(db.session, SYSTEM, long_micro, {"title": "长", "type": "video", "duration": "16:00"})
    with pytest.raises(Invalid, match="15分钟"):
        service.submit(db.session, SYSTEM, long_micro)
    external = make(lesson_count=0, external_url="https://example.org/x")
    assert service.submit(db.session, SYSTEM, external).status == ResourceStatus.submitted


def test_lessons_editing_keeps_order_and_cleans_reading_text(db):
    course = make(kind="course", lesson_count=2)
    unit2 = lessons.add_unit(db.session, SYSTEM, course, "第二章")
    reading = lessons.add_lesson(db.session, SYSTEM, course, {
        "title": "阅读", "type": "reading", "unit": unit2.id, "duration": "300",
        "body": "<p>内容</p><img src=x onerror=alert(1)>"})
    assert reading.type == LessonType.reading and "onerror" not in reading.body_html and reading.duration_s == 300
    lessons.move_unit(db.session, SYSTEM, unit2, -1)
    assert [lesson.title for lesson in course.lessons] == ["阅读", "第1课", "第2课"]
    assert [lesson.position for lesson in course.lessons] == [0, 1, 2]
    first = course.lessons[1]
    lessons.move_lesson(db.session, SYSTEM, first, 1)
    assert [lesson.title for lesson in course.lessons] == ["阅读", "第2课", "第1课"]
    with pytest.raises(Invalid):
        lessons.add_lesson(db.session, SYSTEM, course, {"title": "无章", "type": "video", "unit": ""})
    with pytest.raises(Invalid) as err:
        lessons.add_lesson(db.session, SYSTEM, course, {"title": "", "type": "external", "unit": unit2.id,
                                                        "duration": "abc", "external_url": "ftp://x"})
    assert set(err.value.fields) == {"title", "duration", "external_url"}
    lessons.delete_unit(db.session, SYSTEM, unit2)
    assert [lesson.title for lesson in course.lessons] == ["第2课", "第1课"]
    assert lessons.parse_duration("1:02:03") == 3723 and lessons.parse_duration("25:00:01") is None
    assert lessons.parse_duration("²:00") is None  # a digit to str.isdigit, not to int(): was a 500


def test_lesson_media_must_exist_and_is_cleared_when_the_asset_goes(db):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from media.models import MediaAsset

    resource = make(media=False)
    lesson = resource.lessons[0]
    assert lesson.media_asset_id is None
    asset = MediaAsset(org_id=resource.provider_id, title="a.mp4")
    db.session.add(asset)
    db.session.flush()
    lesson.media_asset_id = asset.id
    db.session.flush()
    db.session.delete(asset)
    db.session.flush()
    db.session.refresh(lesson)
    assert lesson.media_asset_id is None  # ON DELETE SET NULL
    lesson.media_asset_id = 123456
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_cover_is_validated_cropped_and_stored_under_generated_names(app, db):
    resource = make()
    old = covers.set_cover(db.session, SYSTEM, resource, png((1200, 900)), app.config["DATA_DIR"])
    assert old == "" and len(resource.cover_key) == 24
    folder = covers.folder(app.config["DATA_DIR"])
    from PIL import Image

    for width in covers.WIDTHS:
        with Image.open(folder / covers.file_name(resource.cover_key, width)) as image:
            assert image.size == (width, width * 9 // 16) and image.format == "JPEG"
    import io

    broken_exif = io.BytesIO()  # an eXIf chunk that is no TIFF: applying its orientation raised, a 500 before
    Image.new("RGB", (1280, 720), (200, 30, 30)).save(broken_exif, "PNG", exif=b"\xff" * 20)
    for bad in (b"", b"not an image", b"<svg onload=alert(1)></svg>", png((100, 80)),
                b"GIF89a" + b"\x00" * 10, broken_exif.getvalue()):
        with pytest.raises(Invalid) as err:
            covers.set_cover(db.session, SYSTEM, resource, bad, app.config["DATA_DIR"])
        assert "cover" in err.value.fields


def test_review_queue_shows_what_this_union_may_review(db):
    hangzhou = make("INST-T1", title="杭州的")
    ningbo = make("INST-T2", title="宁波的")
    for resource in (hangzhou, ningbo):
        service.submit(db.session, SYSTEM, resource)
    assert [r.title for r in service.review_queue(db.session, factories.user("union_staff", "330100"))] == ["杭州的"]
    assert {r.title for r in service.review_queue(db.session, factories.user("union_staff", "330000"))} == {
        "杭州的", "宁波的"}


# -- nothing unplayable is submitted or published --------------------------------------------------------------

def test_video_lessons_without_a_ready_video_cannot_be_submitted_or_selected(db):
    """The attack: publish a course whose videos were never uploaded, or are still transcoding, or failed. Each
    step of the workflow refuses it and names the lessons."""
    from media.models import AssetStatus, MediaAsset

    course = make(kind="course", lesson_count=3, media=False)
    lessons.add_lesson(db.session, SYSTEM, course, {"title": "读一读", "type": "reading", "unit": course.units[0].id,
                                                   "body": "<p>正文</p>"})
    with pytest.raises(Invalid) as err:
        service.submit(db.session, SYSTEM, course)
    assert err.value.code == "not_ready"
    assert "《第1课》、《第2课》、《第3课》" in err.value.message and "读一读" not in err.value.message
    assert course.status == ResourceStatus.draft

    first, second, third = course.lessons[:3]
    states = {first: AssetStatus.ready, second: AssetStatus.processing, third: AssetStatus.failed}
    for lesson, status in states.items():
        asset = MediaAsset(org_id=course.provider_id, title="a.mp4", status=status, lesson_id=lesson.id)
        db.session.add(asset)
        db.session.flush()
        lesson.media_asset_id = asset.id
    db.session.flush()
    assert [lesson.title for lesson in service.unplayable_lessons(course)] == ["第2课", "第3课"]
    with pytest.raises(Invalid) as err:
        service.submit(db.session, SYSTEM, course)
    assert "《第2课》、《第3课》" in err.value.message and "第1课" not in err.value.message

    for lesson in (second, third):
        db.session.get(MediaAsset, lesson.media_asset_id).status = AssetStatus.ready
    db.session.flush()
    service.submit(db.session, SYSTEM, course)
    db.session.get(MediaAsset, third.media_asset_id).status = AssetStatus.queued  # a re-transcode, say
    db.session.flush()
    with pytest.raises(Invalid) as err:
        service.review(db.session, SYSTEM, course, "select")
    assert "《第3课》" in err.value.message and course.status == ResourceStatus.submitted
    with pytest.raises(Invalid):
        other = make(title="另一门", media=False)
        service.submit(db.session, SYSTEM, other)
        service.review(db.session, SYSTEM, other, "select")
    borrowed = make(title="借用别课视频", media=False)  # pointing at a video that plays in another lesson
    borrowed.lessons[0].media_asset_id = first.media_asset_id
    db.session.flush()
    assert service.unplayable_lessons(borrowed) == [borrowed.lessons[0]]


def test_the_lessons_page_and_the_submit_button_say_which_lessons_lack_video(app, client, auth, db):
    from tests.conftest import post_form

    resource = make("INST-T1", title="没视频的微课", media=False)
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    page = client.get(f"/catalog/manage/{resource.id}/lessons").get_data(as_text=True)
    assert "还没有可以播放的视频" in page and "《第1课》" in page
    post_form(client, f"/catalog/manage/{resource.id}/submit", {}, f"/catalog/manage/{resource.id}")
    db.session.expire_all()
    assert db.session.get(type(resource), resource.id).status == ResourceStatus.draft
    shown = client.get(f"/catalog/manage/{resource.id}").get_data(as_text=True)
    assert "《第1课》" in shown
