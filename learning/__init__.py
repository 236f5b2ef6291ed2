"""Learning: enrolment, progress tracking (heartbeats, offline replay), completion and quizzes, xAPI
statements. Completion is announced (app.events) for the credit bank (credits/), which learning never imports."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    # Imported here, when the app is built, not at the top: `import learning.models` (pure rules, other packages,
    # migrations) must not load the web layer, and the views import this package back.
    from app import demo as app_demo
    from app import events, jobs, lean_paths, viewer_pages
    from app.accounts import merge
    from app.richtext import render_markdown
    from catalog.views import viewed

    # models, habit_models and qa_models register the tables
    from learning import (  # noqa: F401
        api,
        course_news,
        group_writer,
        habit_demo,
        habit_models,
        habit_views,
        habits,
        heartbeat_path,
        merge_counts,
        models,
        qa_demo,
        qa_desk,
        qa_models,
        qa_views,
        views,
    )
    from learning import demo as learning_demo
    from learning.templating import enrol_box, learning_box, resource_own

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(habit_views.bp)
    app.register_blueprint(qa_views.bp)
    app.add_template_filter(render_markdown, "markdown_html")  # questions, answers, wishes: sanitised on output
    qa_desk.register(app)
    events.subscribe(events.RESOURCE_REPUBLISHED, course_news.on_republished)
    course_news.register()  # the re-check of incomplete enrolments a republish queues
    merge.REPLACING.update(merge_counts.HOOKS)  # a merged person's twin vote, mark or report leaves its count too

    def remind(ctx: jobs.DutyContext) -> bool:
        """Send the study reminders due now (once each) and record the results of those an hour old."""
        habits.send_due(ctx.session)
        habits.judge(ctx.session)
        return False

    jobs.recurring(jobs.Duty("learning.reminders", remind, "REMINDER_SECONDS", label=_l("学习提醒")))
    group_writer.init_app(app)
    lean_paths.lean(app, "learning_api.progress")  # the hottest request: only the hooks every request needs
    heartbeat_path.init_app(app)  # and most of them answered beneath Flask, with the same checks
    app.jinja_env.globals["learning_box"] = learning_box
    app.jinja_env.globals["enrol_box"] = enrol_box
    app.before_request(views.study_page_for_learners)
    app.view_functions["main.learning"] = views.mine_page  # the tab bar's 学习 (app/views.py) is our page
    viewer_pages.answerable(app, "main.learning", person=views.mine_version)  # beneath Flask, opened again unchanged
    # a resource's page too, once kept for the viewer's rights, with the enrol box the learner's own piece
    viewer_pages.answerable(app, "catalog.resource", own=resource_own, scope="resource_id",
                            answered=lambda args: viewed(args["resource_id"]))
    # a quiz, and the demo worker enrolled in two resources
    app_demo.register(app, "quiz and enrolments", lambda session, options: learning_demo.load(session))
    # a lunchtime slot with today's reminder, messages in the bell, a week goal kept across rest days
    app_demo.register(app, "study habit and messages", lambda session, options: habit_demo.load(session))
    # a question answered by the demo teacher and marked helpful, one waiting on the desk, wishes with votes
    app_demo.register(app, "questions and wishes", lambda session, options: qa_demo.load(session))
