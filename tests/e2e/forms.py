"""The POST forms of a page as a browser would submit them: each submit button with its form's current values
(hidden inputs, filled fields, the selected option, checked boxes), read with the standard library's parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Submission:
    action: str
    data: dict[str, str]
    button: str                      # what the button says (for messages)
    multipart: bool = False


@dataclass
class _Form:
    action: str
    multipart: bool
    values: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, label)


class _Parser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self.form = page_url, [], None
        self.select: str | None = None
        self.textarea: str | None = None
        self.button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = _Form(a.get("action") or self.page_url, "multipart" in a.get("enctype", ""))
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "submit":
                self.form.buttons.append((a["name"], a.get("value", ""), a.get("value", "")))
            elif kind not in ("checkbox", "radio", "file") or "checked" in a:
                self.form.values.setdefault(a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
        elif tag == "option" and self.select is not None:
            if self.select not in self.form.values or "selected" in a:
                self.form.values[self.select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.form.values[self.textarea] = ""
        elif tag == "button" and a.get("type", "submit") == "submit":
            self.button = [a.get("name", ""), a.get("value", ""), ""]

    def handle_data(self, data: str) -> None:
        if self.textarea is not None and self.form is not None:
            self.form.values[self.textarea] += data
        if self.button is not None:
            self.button[2] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "button" and self.button is not None and self.form is not None:
            self.form.buttons.append((self.button[0], self.button[1], self.button[2]))
            self.button = None


def post_forms(html: str, page_url: str) -> list[Submission]:
    parser = _Parser(page_url)
    parser.feed(html)
    out = []
    for form in parser.forms:
        for name, value, label in form.buttons or [("", "", "")]:
            data = dict(form.values)
            if name:
                data[name] = value
            out.append(Submission(form.action, data, label or value, form.multipart))
    return out
