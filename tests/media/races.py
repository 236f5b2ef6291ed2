"""Two changes of one organisation's storage at the same moment: the first holds its transaction open while the
second is seen waiting for it (the organisation's row held, media.tus.make_room)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.extensions import db
from media import tus


def first_holds_second_waits(app, act: Callable[[str], object]) -> dict[str, str]:
    """Run `act("first")`, keep its transaction open, run `act("second")` and check that it waits; then let the
    first commit. Each outcome: "created", or the TooLarge code it was refused with."""
    first_in, release, answers = threading.Event(), threading.Event(), {}

    def run(name: str) -> None:
        with app.app_context():
            try:
                act(name)
            except tus.TooLarge as err:
                answers[name] = err.code
                db.session.rollback()
                return
            if name == "first":
                first_in.set()
                release.wait(10)  # still deciding: its transaction open
            db.session.commit()
            answers[name] = "created"

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(0.5)
    assert second.is_alive() and "second" not in answers  # waiting for the first
    release.set()
    first.join(10)
    second.join(10)
    return answers
