"""The `qiuxue` command, run the way an operator would."""

from app.accounts.models import Organisation, User
from tests.conftest import shared_file


def test_users_create_with_a_role_in_an_organisation(runner, db):
    result = runner.invoke(args=["users", "create", "--phone", "13911110000", "--name", "杭州工会",
                                 "--role", "union_staff", "--org", "330100", "--password", "long-enough"])
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(phone="13911110000").one()
    assert [(m.role.value, m.organisation.code) for m in user.memberships] == [("union_staff", "330100")]


def test_users_create_prompts_for_the_password(runner, db):
    result = runner.invoke(args=["users", "create", "--phone", "13911110001", "--name", "甲"],
                           input="long-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(phone="13911110001").count() == 1


def test_users_create_explains_bad_input(runner, db):
    result = runner.invoke(args=["users", "create", "--phone", "123", "--name", "甲", "--password", "short"])
    assert result.exit_code != 0
    assert "请输入11位手机号码" in result.output and "密码至少需要8个字符" in result.output
    missing_org = runner.invoke(args=["users", "create", "--phone", "13911110002", "--name", "乙",
                                      "--role", "institution_staff", "--password", "long-enough"])
    assert missing_org.exit_code != 0 and "组织" in missing_org.output
    assert db.session.query(User).count() == 0


def test_orgs_list_shows_the_tree(runner):
    result = runner.invoke(args=["orgs", "list", "--under", "330100", "--depth", "1"])
    assert result.exit_code == 0
    assert "330100  杭州市总工会" in result.output and "  330106  西湖区总工会" in result.output


def test_orgs_import_from_the_division_file(runner, db):
    path = shared_file("zhejiang_divisions.csv")
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1387 added" in result.output
    assert db.session.query(Organisation).filter_by(level="township").count() == 1387


def test_orgs_import_with_bad_rows_changes_nothing(runner, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,parent_code\n330106001,北山街道,township,339999\n", encoding="utf-8")
    result = runner.invoke(args=["orgs", "import", str(bad)])
    assert result.exit_code != 0 and "339999" in result.output
    assert db.session.query(Organisation).filter_by(level="township").count() == 0


def test_demo_load_only_into_an_empty_database(runner, db):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert db.session.query(User).filter_by(phone="13900000007").count() == 1
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in second.output


def test_config_lists_every_setting(runner):
    result = runner.invoke(args=["config"])
    assert "QIUXUE_DATA_DIR" in result.output and "QIUXUE_LOGIN_MAX_FAILURES" in result.output


def test_serve_explains_a_bad_number_of_workers_or_threads(runner):
    for option, value in (("--workers", "0"), ("--workers", "many"), ("--threads", "0")):
        result = runner.invoke(args=["serve", option, value])
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output


def test_serve_runs_granian_unless_told_waitress_which_serves_one_process(runner):
    """granian by default where it is installed (Linux and macOS): waitress collapsed under a few concurrent
    connections on one kernel (app/server.py). Waitress stays for Windows, and for whoever asks for it."""
    assert "[default: granian]" in runner.invoke(args=["serve", "--help"]).output
    result = runner.invoke(args=["serve", "--server", "waitress", "--workers", "2"])
    assert result.exit_code == 2 and "waitress serves one process" in result.output
