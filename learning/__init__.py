"""Learning: enrolment, progress tracking (heartbeats, offline replay), completion and quizzes, xAPI
statements. Completion is announced (app.events) for the credit bank (credits/), which learning never imports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from learning import api, group_writer, models, views  # noqa: F401 - models registers the tables
    from learning.templating import learning_box

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    group_writer.init_app(app)
    app.jinja_env.globals["learning_box"] = learning_box
    app.before_request(views.study_page_for_learners)
