"""Page weight: the bytes a phone moves to open the main pages on the demo data, first visit (the page and every
stylesheet, script and icon it names) and next visit (the page only: fingerprinted files are cached for a year),
as sent uncompressed (the baseline: how the site answered before app/assets.py), with gzip and with brotli.
Response bodies only, through the Flask test client; headers add a few hundred bytes per request. Writes its
table into bench/README.md under "## Page weight". Runs in about half a minute.

    .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ASSETS = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"#]+)')
PAGES = ["/auth/login", "/", "/catalog/", "/catalog/all", "/search?q=电工", "/learning"]  # the last signed in
ENCODINGS = ["identity", "gzip", "br"]


def _body(client, url: str, encoding: str) -> bytes:
    with client.get(url, headers={"Accept-Encoding": encoding}) as response:
        return response.data


def main() -> None:
    from app import create_app
    from app import demo as app_demo
    from app.extensions import db

    with tempfile.TemporaryDirectory() as data:
        app = create_app({"DATA_DIR": data, "SECRET_KEY": "bench", "PAGE_CACHE_SECONDS": 0.0,
                          "MEDIA_WORKER": "external", "SEARCH_INDEXER": "off"})
        with app.app_context():
            db.create_all()
            app_demo.load(db.session)
            db.session.commit()
        client = app.test_client()
        rows = ["| page | first visit: none / gzip / br | next visit: none / gzip / br |", "| --- | --- | --- |"]
        totals = {e: [0, 0] for e in ENCODINGS}
        for url in PAGES:
            if url == "/learning":
                login = client.get("/auth/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
                client.post("/auth/login", data={"csrf_token": token, "phone": "13900000007",
                                                 "password": app_demo.DEMO_PASSWORD})
            first, again = [], []
            for encoding in ENCODINGS:
                html = _body(client, url, encoding)
                names = ASSETS.findall(_body(client, url, "identity").decode())
                assets = sum(len(_body(client, name, encoding)) for name in dict.fromkeys(names))
                first.append(len(html) + assets)
                again.append(len(html))
                totals[encoding][0] += len(html) + assets
                totals[encoding][1] += len(html)
            rows.append(f"| `{url}` | {' / '.join(f'{n / 1024:.1f}' for n in first)} KB "
                        f"| {' / '.join(f'{n / 1024:.1f}' for n in again)} KB |")
        base, gz, br = (totals[e][0] for e in ENCODINGS)
        summary = (f"All {len(PAGES)} pages, first visits: {base / 1024:.0f} KB uncompressed (baseline), "
                   f"{gz / 1024:.0f} KB gzip ({gz / base:.2f}), {br / 1024:.0f} KB brotli ({br / base:.2f}). "
                   "`/learning` as the demo worker 李小梅; the others anonymous.")
        table = "\n".join(rows) + "\n\n" + summary
        print(table)
        write_block(table)


def write_block(table: str) -> None:
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8")
    begin, end = "<!-- light:pages -->", "<!-- /light:pages -->"
    block = (f"{begin}\n### First and next visit\n\nBytes of response bodies on the demo data. "
             f"`.venv/bin/python bench/page_weight.py`\n\n{table}\n{end}")
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## Page weight\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
