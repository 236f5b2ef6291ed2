"""The learning demo `make run` loads: the demo worker finds two resources in 我的学习, one with a quiz."""

from __future__ import annotations

from learning.demo import WORKER_PHONE


def test_demo_worker_has_something_to_continue(runner, client, auth):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    auth.login(WORKER_PHONE, "qiuxue-demo")
    page = client.get("/learning").get_data(as_text=True)
    assert page.count("继续学习") >= 2  # (other demos may enrol the worker too)
