"""Print the PostgreSQL URL for the second test pass, or exit 1 when no server answers there.

`make test` runs the whole suite again on PostgreSQL when this succeeds. The URL comes from
QIUXUE_TEST_POSTGRES_URL, defaulting to the trust-auth server on 127.0.0.1:5432, database `test`.
"""

from __future__ import annotations

import os
import sys

DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> int:
    url = os.environ.get("QIUXUE_TEST_POSTGRES_URL", DEFAULT)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL pass"
        print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
        return 1
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
