"""Route rows for the notifications centre and the learning habit (issue 24), in the format of test_routes.py.
Everything is a signed-in person's own: pages send anonymous visitors to the login page, the JSON answers 401;
someone else's message or reminder is "not found" (404), never shown."""

from tests.security.test_routes import row

GET = {
    "notifications.page": ("/me/notifications", row(200, A=302)),
    "notifications.open_one": ("/me/notifications/999999/open", row(404, A=302)),
    "notifications.api_list": ("/api/v1/me/notifications", row(200, A=401)),
    "learning_habits.plan": ("/learning/plan", row(200, A=302)),
    "learning_habits.open_reminder": ("/learning/reminders/999999/open", row(404, A=302)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS: dict[str, str] = {"notifications.remove_device": "/me/notifications/devices/999999/remove"}
