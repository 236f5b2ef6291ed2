"""Every configuration key, declared once with its type, default and meaning.

Values come from, in order of precedence: the `test_config` mapping given to `create_app`,
`QIUXUE_<KEY>` environment variables (plus `DATABASE_URL`), then the defaults below.
The README's configuration table is generated from `SETTINGS` (`qiuxue config`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    key: str
    type: Callable[[str], Any]
    default: Any
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", str, "instance", "Folder for app.db, the search index, media and the generated secret key."),
    Setting("DATABASE_URL", str, "", "SQLAlchemy URL; empty means SQLite at DATA_DIR/app.db. "
            "Read from DATABASE_URL too (postgresql+psycopg://... for PostgreSQL)."),
    Setting("SQLITE_BUSY_TIMEOUT_S", float, 5.0, "On SQLite, how long a connection waits for another's write lock "
            "(another process writing) before giving up; a heartbeat's group tries three times, then answers 503 "
            "busy, which the player sends again."),
    Setting("SECRET_KEY", str, "", "Signs sessions and tokens, the same on every host; empty means generate one into "
            "DATA_DIR/secret_key, on SQLite only (with another database `serve` and `worker` refuse to start)."),
    Setting("DEFAULT_LOCALE", str, "zh_CN", "Language shown when the visitor has not chosen one."),
    Setting("LOCALES", str, "zh_CN,en", "Languages offered by the language switch, comma separated."),
    Setting("PASSWORD_HASH", str, "scrypt", "Werkzeug method for hashing new passwords (the test suite uses a "
            "cheap pbkdf2 one: scrypt takes 0.15 s per hash and per check by design)."),
    Setting("LOGIN_MAX_FAILURES", int, 5, "Failed logins for one phone number from one address before that "
            "address must wait (other addresses are not affected); also wrong current passwords an account may "
            "give on 修改密码 before it must wait."),
    Setting("LOGIN_ACCOUNT_MAX_FAILURES", int, 50, "Failed logins for one phone number from all addresses within "
            "the window after which every address gets one try per window."),
    Setting("LOGIN_WINDOW_MINUTES", int, 15, "Window in which failed logins are counted, and the wait after."),
    Setting("SMS_GATEWAY_URL", str, "", "Where text messages (verification codes) are POSTed as JSON "
            "{phone, text}; empty means the embedded gateway: the server log and the admins' page of recent codes."),
    Setting("CODE_TTL_MINUTES", int, 10, "How long an SMS verification code stays valid."),
    Setting("CODE_MAX_TRIES", int, 5, "Wrong entries of one verification code after which it is void."),
    Setting("CODE_MAX_PER_NUMBER", int, 5, "Codes sent to one number within CODE_WINDOW_MINUTES."),
    Setting("CODE_MAX_PER_SOURCE", int, 20, "Codes one address may have sent within CODE_WINDOW_MINUTES, "
            "and wrong codes it may type in that window."),
    Setting("CODE_WINDOW_MINUTES", int, 60, "Window in which codes sent and wrong codes are counted."),
    Setting("PROXY_HOPS", int, 0, "Older name of PROXY_FIX_X_FOR, still honoured (the larger of the two counts)."),
    Setting("ENQUIRY_MAX_PER_WINDOW", int, 5, "Questions one worker may send within ENQUIRY_WINDOW_MINUTES."),
    Setting("ENQUIRY_WINDOW_MINUTES", int, 60, "Window in which a worker's questions are counted for the limit."),
    Setting("ENQUIRY_ESCALATE_HOURS", int, 48, "An enquiry a township union leaves unanswered this long goes to "
            "its county union."),
    Setting("REMEMBER_DAYS", int, 30, "How long the 'remember me' cookie keeps a user logged in."),
    Setting("MAX_CONTENT_LENGTH", int, 16 * 1024 * 1024, "Largest request body in bytes outside resumable uploads."),
    Setting("HTTPS", _bool, False, "Served over HTTPS: mark cookies Secure and send HSTS."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level for the site."),
    Setting("PAGE_CACHE_SECONDS", float, 5.0, "How long public list pages are kept for anonymous visitors "
            "(0 turns the page cache off); a change shows within this time."),
    Setting("CATALOG_IMPORT_MAX_BYTES", int, 10 * 1024 * 1024, "Largest CSV/XLSX file accepted by the catalog "
            "bulk import (web page; the command line allows 10 times as much)."),
    # uploaded tables: catalog import and data exchange (app/tabular.py; the command line takes 10 times the bytes)
    Setting("TABULAR_MAX_UNPACKED_BYTES", int, 100 * 1024 * 1024, "Largest total size of an uploaded XLSX's parts "
            "once unzipped, checked before anything is unpacked (an XLSX is zipped XML; a sheet of zeros packs "
            "a thousandfold)."),
    Setting("TABULAR_MAX_RATIO", int, 200, "Largest unpacked/packed ratio of an XLSX part over 1 MB (honest sheets "
            "pack 5 to 50 times; zip bombs a thousand times)."),
    Setting("TABULAR_MAX_ROWS", int, 20_000, "Data rows an uploaded table may hold (blank rows not counted)."),
    Setting("TABULAR_MAX_LINES", int, 100_000, "Rows read from an uploaded table at most, blank ones included "
            "(an XLSX can declare a row a million lines down, and openpyxl fills the gap)."),
    Setting("TABULAR_MAX_COLUMNS", int, 100, "Columns read from an uploaded table; a value beyond them is refused."),
    Setting("TABULAR_MAX_SECONDS", float, 60.0, "Reading an uploaded table stops with a message after this long."),
    Setting("OAI_REPOSITORY_ID", str, "qiuxue.local", "Namespace of OAI-PMH item identifiers "
            "(oai:<id>:resource/<n>); set it once to the site's domain and never change it."),
    Setting("CATALOG_COUNT_CACHE_SECONDS", float, 30.0, "How long a list page's total (共 N 个) is reused per "
            "filter in each process; 0 counts on every request."),
    Setting("SECURITY_CONTACT", str, "mailto:security@qiuxue.local", "Where to report a vulnerability "
            "(a mailto: or https: URI), published at /.well-known/security.txt (RFC 9116); see docs/security.md."),
    Setting("OAI_ADMIN_EMAIL", str, "admin@qiuxue.local", "Contact address the OAI-PMH Identify response gives."),
    # media and background jobs (issue 5)
    Setting("MEDIA_WORKER", str, "inprocess", "Older name of WORKER, still honoured: 'external' here means "
            "WORKER=external."),
    Setting("MEDIA_DIR", str, "", "Folder for uploads, sources and renditions; empty means DATA_DIR/media."),
    Setting("MEDIA_MAX_UPLOAD", int, 4 * 1024**3, "Largest resumable upload in bytes (4 GiB)."),
    Setting("MEDIA_MAX_DURATION_S", int, 4 * 3600, "Longest accepted video or audio, in seconds (4 hours)."),
    Setting("ORG_STORAGE_QUOTA", int, 50 * 1024**3, "Media storage one organisation may use in bytes, "
            "uploads in progress included (50 GiB); 0 means no limit."),
    Setting("MEDIA_UPLOAD_EXPIRE_HOURS", int, 24, "Unfinished uploads untouched this long expire and are removed."),
    Setting("MEDIA_URL_TTL_S", int, 15 * 60, "Lifetime of the signed media URLs given for unpublished lessons; "
            "the player asks for fresh ones when they lapse, so long videos still play."),
    Setting("MEDIA_PUBLIC_MAX_AGE_S", int, 3600, "How long browsers and CDNs may keep a published lesson's "
            "media before asking again (never `immutable`): once a resource is unpublished, no cache serves it "
            "longer than this."),
    Setting("MEDIA_ACCEL", str, "none", "How media files leave: 'none' (the app sends them), 'nginx' "
            "(X-Accel-Redirect to MEDIA_ACCEL_PREFIX) or 'sendfile' (X-Sendfile with the file's path)."),
    Setting("MEDIA_ACCEL_PREFIX", str, "/internal-media/", "nginx `internal` location mapped to MEDIA_DIR."),
    Setting("MEDIA_FFMPEG_THREADS", int, 0, "Threads one ffmpeg run may use; 0 lets ffmpeg choose (all cores)."),
    Setting("MEDIA_X264_PRESET", str, "veryfast", "x264 preset of the HLS ladder (slower = smaller files)."),
    # object storage (issue 21)
    Setting("MEDIA_STORAGE", str, "", "Where media (sources, renditions, posters, subtitles), covers and evidence "
            "are kept: empty means folders under DATA_DIR (MEDIA_DIR for media); 's3://BUCKET/PREFIX' means an "
            "S3-compatible bucket (the `s3` extra; endpoint and keys from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY). Players then get presigned URLs; see docs/storage.md."),
    # the background runtime (issue 19): every job and recurring duty, app/jobs
    Setting("WORKER", str, "inprocess", "Who runs background work (transcoding, search indexing, clean-up): "
            "'inprocess' (threads in each web process, started by its first request) or 'external' "
            "(`qiuxue worker` runs it as its own process)."),
    Setting("JOBS_DUTY_RETRY_S", float, 5.0, "Backoff after a recurring duty fails; doubles with each failure in a "
            "row, up to the duty's limit (10 minutes; 30 s for search indexing)."),
    Setting("JOBS_THREADS", int, 1, "Jobs one worker runs at once (each transcode uses all cores anyway)."),
    Setting("JOBS_POLL_S", float, 1.0, "Seconds an idle worker waits before looking for due jobs again."),
    Setting("JOBS_HEARTBEAT_S", float, 3.0, "Seconds between heartbeats (and progress writes) of a running job."),
    Setting("JOBS_STALE_AFTER_S", float, 120.0, "A running job whose heartbeat is older than this is re-queued."),
    Setting("JOBS_RETRY_BASE_S", float, 30.0, "Backoff before the first retry of a failed job; doubles each time."),
    # search (issue 4)
    Setting("SEARCH_INDEX_DIR", str, "", "Folder of the search index and its suggestion file; empty means "
            "DATA_DIR/search."),
    Setting("SEARCH_INDEXER", str, "thread", "Whether the web process's in-process runtime (WORKER=inprocess) "
            "drains catalog changes into the search index: 'thread' (yes) or 'off' (`qiuxue worker` or "
            "`qiuxue search worker` does)."),
    Setting("SEARCH_POLL_SECONDS", float, 0.5, "How often the search indexer looks for changes committed by "
            "other processes."),
    # operations across hosts (issue 21): shared limits, proxies, logs, metrics, readiness
    Setting("REDIS_URL", str, "", "Redis holding the rate limits shared by every host and process "
            "(redis://host:6379/0); empty keeps them in each process's memory (one host, one process)."),
    Setting("RATE_LIMIT_LOGIN", str, "30 per minute", "Login attempts, right or wrong, one address may make "
            "(Flask-Limiter syntax); each costs a password hash, so this guards the CPU. The lockout per phone "
            "number (LOGIN_MAX_FAILURES) is counted in the database as before."),
    Setting("RATE_LIMIT_HEARTBEAT", str, "600 per minute", "Progress heartbeats one learner may send (a player "
            "sends one every 15 s, but replays an offline queue in one burst: half an hour offline is 120 at once; "
            "a longer queue is slowed, never lost, as the page sends the rest again)."),
    Setting("RATE_LIMIT_UPLOAD", str, "60 per hour", "Resumable uploads one user may start (the PATCHes of an "
            "upload are not counted)."),
    Setting("RATE_LIMIT_PREVIEW", str, "60 per minute", "Markdown previews one user may ask for (the editor's "
            "预览 tab; each renders and sanitises up to 200,000 characters on the server)."),
    Setting("RATE_LIMIT_EXCHANGE_API", str, "120 per minute", "Calls one department's API token may make to "
            "/api/exchange/v1/ (a call without a valid token counts against its address); over it the answer is "
            "429 too_many_requests with Retry-After, and the refusal is audited like every call."),
    Setting("PROXY_FIX_X_FOR", int, 0, "Trusted proxies that add to X-Forwarded-For (Werkzeug ProxyFix): the "
            "client address (throttles, logs, /metrics) is read from there; 0 (off) ignores the header, as it can "
            "be forged. PROXY_HOPS is its older name, still honoured."),
    Setting("PROXY_FIX_X_PROTO", int, 0, "Trusted proxies that set X-Forwarded-Proto: links built by the site (QR "
            "codes, certificates, xAPI, OAI, security.txt) say https:// when the proxy says so; 0 ignores it."),
    Setting("PROXY_FIX_X_HOST", int, 0, "Trusted proxies that set X-Forwarded-Host: the public host name in the "
            "links the site builds; 0 ignores it."),
    Setting("LOG_FORMAT", str, "text", "'text' (readable lines, for `make run`) or 'json' (one JSON object per "
            "line with the request id and job id, for log collectors)."),
    Setting("METRICS_ALLOW", str, "127.0.0.1,::1", "Addresses or networks (comma separated) allowed to read "
            "/metrics (Prometheus text); everyone else gets 403."),
    Setting("READY_CACHE_S", float, 2.0, "How long /readyz reuses its last answer (at most 5 s), so a busy "
            "load balancer does not probe the database and storage on every call."),
    Setting("READY_MAX_INDEX_LAG_S", float, 30.0, "/readyz says not ready while the oldest catalog change not yet "
            "in this host's search index is older than this."),
    # search on every host (issue 21): each host's replica follows the shared change log
    Setting("SEARCH_REPLICA", str, "", "Name this host's search replica reports itself under in the database; "
            "empty means host name and index folder."),
    Setting("SEARCH_GAP_SECONDS", float, 60.0, "How long a hole in the change log (an id whose transaction has not "
            "committed) is waited for before it is taken as rolled back."),
    Setting("SEARCH_LOG_RETENTION_S", float, 7 * 86400.0, "A replica silent for longer than this is given up: the "
            "change log is pruned past it, and it rebuilds from the database when it comes back."),
    # speed for signed-in workers (issue 20)
    Setting("SHARED_PARTS_SECONDS", float, 60.0, "How long the parts of a page that are the same for every "
            "viewer (list cards, a resource's facts and lessons) are reused, signed in or not; a change made on "
            "this host shows at once, one made on another host within this time (0 renders every time). On "
            "SQLite (one host) they are kept until a change, up to an hour."),
    Setting("SHARED_PARTS_LISTEN", _bool, True, "On PostgreSQL, each web process listens for the changes every host "
            "commits (LISTEN/NOTIFY on a connection of its own): they show at once everywhere, and the parts above are "
            "kept until a change, up to an hour, while it hears them. Off, or while it does not hear (a pooler in "
            "transaction mode, the database away), a change made on another host shows within SHARED_PARTS_SECONDS."),
    Setting("SHARED_COUNTS_SECONDS", float, 60.0, "How old a count those parts show may be (a resource's learners, "
            "学习人数, and the order by enrolments): an enrolment does not make every part again, a part made before "
            "it is used until this old (0: every enrolment makes every part again, as any other change does)."),
    Setting("PERSON_PAGE_SECONDS", float, 60.0, "On SQLite, how long a page made from one learner's own rows "
            "(我的学习, a resource page's enrol box) is kept at most: a change made through the site shows at once, "
            "one written into the database file by another program within this time (0 makes the page every time)."),
    # course analytics (issue 22)
    Setting("ANALYTICS_MIN_LEARNERS", int, 5, "Course analytics never show a figure computed from fewer learners "
            "than this (a curve, a funnel, study hours, ratings); below it the page says the figure is withheld. The "
            "public yearly and quality reports (/open/report) withhold every group of fewer people than this too."),
    # public yearly report (issue 23)
    Setting("OPEN_REPORT_CACHE_SECONDS", float, 3600.0, "How long a public yearly or quality report PDF is kept "
            "once made, and how long browsers and proxies may keep the public report pages (0 makes them anew)."),
    # notifications and reminders (issue 24)
    Setting("WEBPUSH_PUBLIC_KEY", str, "", "VAPID public key (base64url, the browser's applicationServerKey) for "
            "Web Push; generate a pair with `qiuxue notifications vapid-keys`. Empty: messages stay in the site."),
    Setting("WEBPUSH_PRIVATE_KEY", str, "", "VAPID private key (base64url) signing Web Push requests; the same on "
            "every host, kept secret."),
    Setting("WEBPUSH_SUBJECT", str, "mailto:admin@example.org", "Contact the push services may use about our "
            "pushes (a mailto: or https: URL), sent in the VAPID claims."),
    Setting("WEBPUSH_PRIVATE_HOSTS", str, "", "Push services on the site's own network the worker may post to "
            "(host names or addresses, comma-separated; http or https). Empty: only https:// endpoints on public "
            "addresses, as browsers' push services are; any other address a subscription names is refused (SSRF)."),
    Setting("WEBPUSH_TIMEOUT_SECONDS", float, 5.0, "The longest one Web Push may take, from connecting to the push "
            "service's whole answer; past it the push is dropped and counts as a failure of that device (5 in a row "
            "and the subscription is removed), so a slow push service never holds anyone else's notifications."),
    Setting("NOTIFY_SECONDS", float, 15.0, "How often the worker pushes and texts new notifications."),
    Setting("REMINDER_SECONDS", float, 60.0, "How often the worker sends due study reminders and records their "
            "results (opened, studied within an hour)."),
)

ENV_PREFIX = "QIUXUE_"


def load(test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every declared setting; unknown keys in test_config are passed through (Flask's own)."""
    environ = os.environ if environ is None else environ
    given = dict(test_config or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.key in given:
            config[setting.key] = given.pop(setting.key)
        elif ENV_PREFIX + setting.key in environ:
            config[setting.key] = setting.type(environ[ENV_PREFIX + setting.key])
        elif setting.key == "DATABASE_URL" and environ.get("DATABASE_URL"):
            config[setting.key] = environ["DATABASE_URL"]
        else:
            config[setting.key] = setting.default
    config.update(given)

    data_dir = Path(config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["DATABASE_URL"], data_dir)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key(data_dir)
        config["SECRET_KEY_GENERATED"] = True  # read by shared_key_problem: this host's own key, not a shared one
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_SECURE", config["HTTPS"])
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_SECURE", config["HTTPS"])
    config.setdefault("BABEL_DEFAULT_LOCALE", config["DEFAULT_LOCALE"])
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return config


def database_url(url: str, data_dir: Path) -> str:
    """SQLite under the data folder by default; accept the common postgres:// spellings too."""
    if not url:
        return f"sqlite:///{data_dir / 'app.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def shared_key_problem(config: Mapping[str, Any]) -> str | None:
    """Why this process must not serve or work, or None. A database other than SQLite may be shared by several
    hosts, and a key generated into one host's data folder signs sessions, CSRF tokens and links the others
    refuse, so such a deployment must set one QIUXUE_SECRET_KEY on every host (SQLite stays one host: `make run`
    keeps generating its key)."""
    if not config.get("SECRET_KEY_GENERATED") or config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return None
    return (f"{ENV_PREFIX}SECRET_KEY is not set, but the database is shared ({_scheme(config)}), so several hosts may "
            f"serve this site and each would sign with a key of its own from {config['DATA_DIR']}/secret_key. Set "
            f"the same {ENV_PREFIX}SECRET_KEY on every host (e.g. `python -c 'import secrets; "
            f"print(secrets.token_hex(32))'`), see docs/deploy.md.")


def _scheme(config: Mapping[str, Any]) -> str:
    return str(config["SQLALCHEMY_DATABASE_URI"]).split(":", 1)[0]


def _secret_key(data_dir: Path) -> str:
    """Generated once per installation and kept beside the data, never in the repository."""
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another process (or an earlier start) made it first
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
