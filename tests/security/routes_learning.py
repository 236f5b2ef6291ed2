"""Route rows for the learning package (progress, enrolment, quizzes, xAPI); see test_routes.py for the format.

Study pages need a login; a video lesson of a published course opens before enrolling (its first play enrols),
other lessons send a learner who has not enrolled to the resource page (302).
The sample resource has no quiz, so its quiz page is "not found"; authoring is for the provider's staff."""

from tests.security.test_routes import row

GET = {
    "learning.resume": ("/learning/r/{pub}/continue", row(302)),
    "learning.lesson": ("/learning/lessons/{lesson}", row(200, A=302)),
    "learning.quiz": ("/learning/r/{pub}/quiz", row(404, A=302)),
    "learning.edit_quiz": ("/learning/r/{pub}/quiz/edit", row(404, A=302, I=200, D=200)),
    "learning_api.statements": ("/api/v1/me/statements", row(200, A=401)),
    # refused heartbeats, for staff of course providers (their own courses only) and admins
    "learning.refused": ("/learning/review/refusals", row(200, A=302, W=403)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS: dict[str, str] = {}
