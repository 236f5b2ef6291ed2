"""On a phone the results come before the facets: one 筛选 button (hidden until search.js moves the panel under
it and shows it) opens them; without JavaScript the facets simply follow the results."""

from __future__ import annotations

from app.extensions import db
from search.indexer import drain_all
from tests.catalog.helpers import make


def test_results_come_before_the_facets(app, client):
    with app.app_context():
        make(title="叉车驾驶入门", category="skills-logistics", publish=True)
        make(title="叉车维修保养", category="skills-manufacturing", publish=True)
        drain_all(db.session, app.extensions["search"])
        db.session.commit()
    html = client.get("/search?q=叉车").get_data(as_text=True)
    assert 0 < html.index('<ul class="results">') < html.index('id="search-facets"')
    button = html.split("data-facets-toggle")[0].rsplit("<button", 1)[1]
    assert 'type="button"' in button and 'aria-controls="search-facets"' in button and "hidden" in button
    # facet chips are links to a filtered page: aria-current marks the chosen
    assert 'aria-pressed' not in html.split('id="search-facets"')[1]
    chosen = client.get("/search?q=叉车&category=skills-logistics").get_data(as_text=True)
    assert 'aria-current="true"' in chosen.split('id="search-facets"')[1] and "筛选 (1)" in chosen
