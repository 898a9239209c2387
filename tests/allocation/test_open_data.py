"""The open data page: what is published, verify.py served by the site itself
(public pages tell visitors to run it), commands that work when pasted, and
the API's every address."""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import verify
from tests.allocation.disbursement import computed_month

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
COMMAND = re.compile(
    r"<pre><code>python3 verify\.py (\w+) (\S+?)(?: --receipt [^<]+)?</code></pre>"
)
API_ROW = re.compile(
    r'<tr><td>([A-Z, ]+)</td><td><code class="api-path">'
    r'(?:<a href="[^"]+">)?([^<]+)(?:</a>)?</code>'
)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the live server)
        return bytes(response.read())


@pytest.mark.django_db(transaction=True)
def test_the_commands_on_the_page_run_as_pasted_with_the_verify_py_it_serves(
    live_server: Any, tmp_path: Path
) -> None:
    computed_month()  # March 2026, the suite's computed month
    page = _get(f"{live_server.url}/en/transparency/open-data/").decode()
    script = _get(f"{live_server.url}/transparency/verify.py")
    # The repository's own file, and the hash the page shows is its hash.
    assert script == (ROOT / "verify.py").read_bytes()
    assert f'<code class="hash" id="verify-sha256">{hashlib.sha256(script).hexdigest()}' in page
    (tmp_path / "verify.py").write_bytes(script)

    commands = {kind: html.unescape(url) for kind, url in COMMAND.findall(page)}
    assert commands == {
        "allocation": f"{live_server.url}/en/transparency/runs/2026-03.json",
        "log": f"{live_server.url}/en/transparency/log.json",
    }  # no decision released: no ballot command, and the page says so
    assert "No decision has been released yet." in page
    said = {}
    for kind, url in commands.items():
        # Apart from the platform: no site-packages (-S), nothing from here (-I).
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(tmp_path / "verify.py"), kind, url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        said[kind] = done.stdout.splitlines()
    assert "the document is the one whose hash was published" in said["allocation"]
    assert said["allocation"][-1] == "match: the outputs are the ones the rules give"
    assert "1 documents fetched and hashed" in said["log"]
    assert said["log"][-1] == "the log is intact"


@pytest.mark.django_db
def test_verify_py_is_a_download_for_anyone(anonymous: Client) -> None:
    response = anonymous.get("/transparency/verify.py")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-python; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="verify.py"'
    assert response.content == (ROOT / "verify.py").read_bytes()
    assert anonymous.post("/transparency/verify.py").status_code == 405


@pytest.mark.django_db
def test_the_api_table_lists_every_address_of_the_schema_with_its_methods(
    anonymous: Client,
) -> None:
    schema = anonymous.get("/api/schema/?format=json").json()
    expected = {
        path: ", ".join(sorted(method.upper() for method in operations if method != "parameters"))
        for path, operations in schema["paths"].items()
    }
    page = anonymous.get("/en/transparency/open-data/").text
    listed = {
        path: ", ".join(sorted(methods.split(", "))) for methods, path in API_ROW.findall(page)
    }
    assert len(API_ROW.findall(page)) == len(listed)  # each address once
    assert listed == expected


@pytest.mark.django_db
def test_in_french_with_nothing_published_yet(anonymous: Client) -> None:
    page = anonymous.get("/transparency/open-data/").text
    assert "<title>Données ouvertes et API · The Librery</title>" in page
    assert "Aucune répartition mensuelle n’a encore été calculée." in page  # noqa: RUF001
    assert "Aucune décision n’a encore été publiée." in page  # noqa: RUF001
    assert "python3 verify.py log http://testserver/transparency/log.json" in page
    size = f"{len((ROOT / 'verify.py').read_bytes()):,}".replace(",", "\u202f")
    assert f"<dd>{size} octets</dd>" in page  # grouped the French way
    # Every page's footer leads here (it used to download the YAML schema).
    home = anonymous.get("/").text
    assert '<a href="/transparency/open-data/">Données ouvertes et API</a>' in home


def test_an_older_python_is_told_which_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    """A visitor's Python may be old: str.removesuffix came with 3.9, so 3.8
    used to stop with an AttributeError halfway through a check."""
    assert verify.main(["log", "http://127.0.0.1:1/log.json"], version=(3, 8, 18)) == 2
    assert capsys.readouterr().err == "verify.py needs Python 3.9 or newer; this is Python 3.8.\n"
