"""Every page names the console's own icon, shipped in the package, so a browser does not ask for a
/favicon.ico that is not there (a 404 in its console)."""

from __future__ import annotations

from importlib.resources import files

from console_world import World, sign_in
from pages_world import Seen
from starlette.testclient import TestClient


def icon_of(source: str) -> str:
    [icon] = [
        attributes["href"] for tag, attributes in Seen(source).tags if tag == "link" and attributes.get("rel") == "icon"
    ]
    return icon


def test_the_pages_link_the_icon_the_package_ships(client: TestClient, world: World) -> None:
    shipped = files("closedloop_console").joinpath("static", "favicon.svg").read_bytes()
    signing_in = client.get("/sign-in")
    sign_in(client, "ana")
    pages = [
        signing_in,
        client.get("/"),
        client.get(f"/conversations/{world.opera_conversation}"),
        client.get("/nothing"),
    ]

    icons = {icon_of(page.text) for page in pages}

    assert icons == {"/static/favicon.svg"}
    served = client.get("/static/favicon.svg")
    assert served.status_code == 200 and served.content == shipped
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in shipped and b"<script" not in shipped
