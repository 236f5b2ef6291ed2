"""Programme: the dual-upgrade administration, in subpackages by the programme document's duties:
admissions (eligibility, plans, quotas, declarations, applications, recruitment), money (subsidy claims, their
evidence and payment), voice (enquiries, policy page, surveys, notices and objections), exchange (records
from institutions and the HR department), reporting (dashboards, XLSX, PDF) and sharing (the departments' API,
on top of them all). Layers, lowest first:
admissions ← exchange ← money ← voice ← reporting; the pages (views) sit on top and may use any of them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the view modules attaches their routes to the blueprints in
    # programme.web and loads every subpackage, which `import programme.<anything>` must not do (create_app
    # first, nothing at import time). The models modules register the tables on Base.metadata.
    from app import demo as app_demo
    from app import pagecache
    from app.accounts import merge
    from app.extensions import csrf
    from learning import questions
    from programme import demo as programme_demo
    from programme import desk as programme_desk
    from programme import menu, web  # noqa: F401
    from programme.admissions import api as admissions_api  # noqa: F401
    from programme.admissions import models as admissions_models  # noqa: F401
    from programme.admissions import profiles as admission_profiles
    from programme.admissions import quotas
    from programme.admissions import staff_views as admissions_staff_views  # noqa: F401
    from programme.admissions import views as admissions_views  # noqa: F401
    from programme.analytics import views as analytics_views  # noqa: F401
    from programme.cli import programme_cli
    from programme.enterprises import api as enterprises_api  # noqa: F401
    from programme.enterprises import demo as enterprises_demo
    from programme.enterprises import desk as enterprises_desk
    from programme.enterprises import models as enterprises_models  # noqa: F401
    from programme.enterprises import views as enterprises_views  # noqa: F401
    from programme.exchange import models as exchange_models  # noqa: F401
    from programme.exchange import views as exchange_views  # noqa: F401
    from programme.money import api as money_api  # noqa: F401
    from programme.money import funds as money_funds
    from programme.money import funds_views  # noqa: F401
    from programme.money import models as money_models  # noqa: F401
    from programme.money import views as money_views  # noqa: F401
    from programme.network import demo as network_demo
    from programme.network import models as network_models  # noqa: F401
    from programme.network import views as network_views  # noqa: F401
    from programme.network.labels import POINT_KIND_LABELS
    from programme.partnership import demo as partnership_demo
    from programme.partnership import mentors
    from programme.partnership import models as partnership_models  # noqa: F401
    from programme.partnership import views as partnership_views
    from programme.publicity import demo as publicity_demo
    from programme.publicity import models as publicity_models  # noqa: F401
    from programme.publicity import views as publicity_views  # noqa: F401
    from programme.reporting import demo as report_demo
    from programme.reporting import models as reporting_models  # noqa: F401
    from programme.reporting import open_views, performance_views  # noqa: F401
    from programme.reporting import views as reporting_views  # noqa: F401
    from programme.sharing import api as sharing_api  # noqa: F401
    from programme.sharing import cli as sharing_cli
    from programme.sharing import demo as sharing_demo
    from programme.sharing import guard as sharing_guard
    from programme.sharing import models as sharing_models  # noqa: F401
    from programme.sharing import views as sharing_views  # noqa: F401
    from programme.voice import demo as voice_demo
    from programme.voice import escalation as voice_escalation
    from programme.voice import models as voice_models  # noqa: F401
    from programme.voice import notice_views, point_views  # noqa: F401
    from programme.voice import views as voice_views  # noqa: F401

    app.register_blueprint(web.api_bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(web.staff_bp)
    app.register_blueprint(web.support_bp)
    app.register_blueprint(sharing_guard.bp)
    csrf.exempt(sharing_guard.bp)  # bearer tokens only, never a cookie: nothing for a forged form to ride on
    programme_cli.add_command(sharing_cli.tokens_cli)
    app.cli.add_command(programme_cli)

    app.jinja_env.globals["point_kind_labels"] = POINT_KIND_LABELS
    app.jinja_env.globals["mentor_pair"] = partnership_views.mentor_pair
    questions.add_co_answerers(mentors.answerers)  # workplace mentors answer a course's public questions
    programme_desk.register(app)
    enterprises_desk.register(app)
    voice_escalation.register()
    money_funds.register()
    admission_profiles.register()
    merge.REPLACING["programme_applications"] = quotas.release_replaced
    # policy page, enquiries, ratings, QR registrations; then this year's plan, quotas, offerings, an applicant
    app_demo.register(app, "policy, enquiries, surveys", lambda session, options: voice_demo.load(session))
    app_demo.register(app, "this year's programme", lambda session, options: programme_demo.load(session))
    app_demo.register(app, "service network", lambda session, options: network_demo.load(session))
    app_demo.register(app, "enterprises", lambda session, options: enterprises_demo.load(session))
    app_demo.register(app, "co-authored course and mentor", lambda session, options: partnership_demo.load(session))
    app_demo.register(app, "last year's public report", lambda session, options: report_demo.load(session))
    app_demo.register(app, "news and stories", lambda session, options: publicity_demo.load(session, app.config))
    app_demo.register(app, "data sharing", lambda session, options: sharing_demo.load(session))
    pagecache.cacheable(app, "programme_support.news_list", "programme_support.news_post",
                        "programme_support.news_feed", *open_views.ENDPOINTS)
    app.extensions["open_report_pdfs"] = pagecache.PageCache(float(app.config["OPEN_REPORT_CACHE_SECONDS"]), 200)
