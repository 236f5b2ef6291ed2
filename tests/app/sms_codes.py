"""Codes as a worker reads them: from the text messages the embedded gateway delivered (its table is what the
admins' page shows), never from the hashes the site keeps."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.sms import SmsMessage
from tests.conftest import post_form

CODE = re.compile(r"\d{6}")


def texts(app: Flask, phone: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SmsMessage.text).where(SmsMessage.phone == phone)
                                       .order_by(SmsMessage.id)))


def last_code(app: Flask, phone: str) -> str:
    for text in reversed(texts(app, phone)):
        found = CODE.search(text)
        if found:
            return found.group()
    raise AssertionError(f"no code was sent to {phone}")


def register(client, phone: str = "13912345678", password: str = "longenough1", **extra):
    """Ask for a code, read it from the SMS, register with it."""
    post_form(client, "/auth/register", {"phone": phone, "action": "send"})
    code = last_code(client.application, phone)
    return post_form(client, "/auth/register", {"phone": phone, "code": code, "password": password,
                                                "action": "register", **extra})
