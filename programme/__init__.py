"""Programme: the dual-upgrade administration — eligibility, annual plans and quotas, institution
declarations, applications, subsidies and public notices (part 1: models.py and the services beside it,
views.py); enquiries, surveys, QR codes, reports and data exchange (part 2: support_*)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from programme import api, models, staff_views, views  # noqa: F401 - models registers the tables

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)

    from programme import support_views  # enquiries, policy page, surveys, QR codes, reports, exchange

    app.register_blueprint(support_views.bp)

    from programme.cli import programme_cli

    app.cli.add_command(programme_cli)
