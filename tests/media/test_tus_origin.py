"""An Origin header that is no URL (`http://[`: urlsplit raises) is refused as another site's origin is, with 403
origin_not_allowed on every tus endpoint; it answered 500 before, even to OPTIONS and signed out."""

from __future__ import annotations

TUS = {"Tus-Resumable": "1.0.0"}


def test_an_origin_that_is_no_url_is_refused_not_a_500(app, client, auth):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handlers answer
    auth.as_role("institution_staff")
    for origin in ("http://[", "http://[::1", "https://]x["):
        for method in ("options", "post", "head", "patch", "delete"):
            url = "/api/v1/uploads/" + ("" if method in ("options", "post") else "a" * 32)
            response = getattr(client, method)(url, headers={"Origin": origin, **TUS, "Upload-Length": "10"})
            assert response.status_code == 403, (origin, method, response.status_code)
            if method != "head":
                assert response.get_json()["error"]["code"] == "origin_not_allowed", (origin, method)
    same_site = client.post("/api/v1/uploads/", headers={"Origin": "http://localhost", **TUS, "Upload-Length": "10"})
    assert same_site.status_code == 201  # this site's own pages still upload
