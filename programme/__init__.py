"""Programme: the dual-upgrade administration — eligibility, declarations, quotas, applications,
subsidies, enquiries, surveys, public notices and reports. Built so far: the eligibility rules
(programme/eligibility.py) and their API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from programme import api

    app.register_blueprint(api.bp)
