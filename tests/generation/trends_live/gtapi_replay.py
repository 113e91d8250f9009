"""Helpers that serve real recorded Google Trends bodies from a local server."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GTAPI = Path(__file__).resolve().parents[2] / "fixtures" / "gtapi"
# Port 9 (discard) is closed on this machine: connections are refused at once.
CLOSED_LOCAL_URL = "http://127.0.0.1:9"
NID_COOKIE = "local-replay-cookie"
JSON_TYPE = "application/json; charset=utf-8"


def recorded(name: str) -> bytes:
    """Return the bytes of a recorded Google Trends body."""
    return (GTAPI / name).read_bytes()


def recorded_json(name: str) -> dict:
    """Return a recorded body's JSON, without Google's )]}' prefix."""
    text = recorded(name).decode()
    return json.loads(text[text.index("{") :])


def widget_token(explore_file: str, widget_id: str) -> str:
    """Return the token a recorded explore answer hands out for one widget."""
    widgets = recorded_json(explore_file)["widgets"]
    return next(widget["token"] for widget in widgets if widget["id"] == widget_id)


def query_param(request: Request, name: str) -> str:
    """Return one query parameter of a request the server received."""
    return parse_qs(urlsplit(request.url).query)[name][0]


def request_json(request: Request, name: str = "req") -> dict:
    """Return a JSON query parameter of a request the server received."""
    return json.loads(query_param(request, name))


def serve_recorded(
    server: HTTPServer, path: str, name: str, *, method: str = "GET", **matchers
) -> None:
    """Answer ``path`` with a recorded body, as Google does (JSON content type)."""
    server.expect_request(path, method=method, **matchers).respond_with_data(
        recorded(name), content_type=JSON_TYPE
    )


def serve_explore(server: HTTPServer, name: str) -> None:
    """Answer the explore request (widget tokens) with a recorded body."""
    serve_recorded(server, "/trends/api/explore", name, method="POST")


def received(server: HTTPServer, path: str) -> list[Request]:
    """Return the requests the server received for ``path``."""
    return [request for request, _response in server.log if request.path == path]


def serve_by_token(server: HTTPServer, path: str, bodies: dict[str, str]) -> None:
    """Answer ``path`` with the recorded body named for the request's token.

    Related queries and related topics share one endpoint; Google tells them
    apart by the widget token, and so does this handler. An unknown token
    gets HTTP 400, as Google answers a token it did not hand out.
    """

    def answer(request: Request) -> Response:
        name = bodies.get(request.args.get("token", ""))
        if name is None:
            return Response("unknown token", status=400)
        return Response(recorded(name), content_type=JSON_TYPE)

    server.expect_request(path).respond_with_handler(answer)


def serve_weekly_comparison(server: HTTPServer) -> None:
    """Serve every request of a weekly five-year comparison with recorded bodies.

    Whatever terms are requested, the bodies are those recorded for pizza and
    bagel: the first term gets pizza's values, the second bagel's.
    """
    serve_explore(server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    for path, name in {
        "/trends/api/widgetdata/multiline": (
            "gtapi_multiline_weekly_2terms_5y_ispartial.txt"
        ),
        "/trends/api/widgetdata/comparedgeo": (
            "gtapi_comparedgeo_country_2terms_2021.txt"
        ),
        "/trends/api/widgetdata/relatedsearches": (
            "gtapi_relatedsearches_queries_pizza_2021.txt"
        ),
    }.items():
        serve_recorded(server, path, name)


def widened(body: bytes, width: int, rotation: int) -> bytes:
    """Return a recorded two-term body with ``width`` values per point.

    The recorded columns are repeated in turn, starting with column
    ``rotation % 2``, so every value is a real recorded value while the
    number of terms matches the request. The ``)]}',`` prefix is kept.
    """
    text = body.decode()
    prefix, payload = text[: text.index("{")], json.loads(text[text.index("{") :])
    default = payload["default"]
    points = default.get("timelineData") or default.get("geoMapData") or []
    for point in points:
        for name in ("value", "formattedValue", "hasData"):
            if name in point:
                recorded_values = point[name]
                point[name] = [
                    recorded_values[(rotation + index) % len(recorded_values)]
                    for index in range(width)
                ]
    return (prefix + json.dumps(payload, ensure_ascii=False)).encode()


def serve_any_width_comparison(server: HTTPServer) -> None:
    """Serve comparisons of one to five terms from the recorded pizza and bagel.

    The explore request's terms set the width of the next time series and
    region responses (see ``widened``). The nth explore request rotates the
    columns by n, so a later request of a stitched comparison gives its
    anchor bagel's values where the first gave it pizza's.
    """
    explores: list[int] = []

    def explore(request: Request) -> Response:
        explores.append(len(request_json(request)["comparisonItem"]))
        return Response(
            recorded("gtapi_explore_widgets_pizza_bagel_5y.txt"), content_type=JSON_TYPE
        )

    def widen(name: str):
        def answer(_request: Request) -> Response:
            width = explores[-1] if explores else 2
            body = widened(recorded(name), width, rotation=len(explores) - 1)
            return Response(body, content_type=JSON_TYPE)

        return answer

    server.expect_request("/trends/api/explore", method="POST").respond_with_handler(
        explore
    )
    server.expect_request("/trends/api/widgetdata/multiline").respond_with_handler(
        widen("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    )
    server.expect_request("/trends/api/widgetdata/comparedgeo").respond_with_handler(
        widen("gtapi_comparedgeo_country_2terms_2021.txt")
    )
    serve_recorded(
        server,
        "/trends/api/widgetdata/relatedsearches",
        "gtapi_relatedsearches_queries_pizza_2021.txt",
    )
