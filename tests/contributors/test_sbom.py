"""Reading SBOMs (issue 15): the real files of tests/data/sbom/ through
cyclonedx-python-lib and spdx-tools, and bad input refused with a message
that names the problem."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from contributors.sbom import MAX_SBOM_BYTES, SbomComponent, SbomError, sbom_parse
from tests.contributors.sbom_catalogue import ASVS, BITCASTER, FLASK, YOUTUBE, sbom_bytes

pytestmark = [pytest.mark.unit]


def test_cyclonedx_without_a_graph_every_component_is_direct():
    parsed = sbom_parse(sbom_bytes(ASVS))
    assert (parsed.format, parsed.spec_version, parsed.application) == ("CycloneDX", "1.5", "asvs")
    assert len(parsed.sha256) == 64
    assert not parsed.has_graph
    assert len(parsed.components) == 24
    assert all(c.direct for c in parsed.components)
    by_key = {c.purl_key: c for c in parsed.components}
    assert by_key["pypi/django"] == SbomComponent(
        name="Django",
        version="4.2.4",
        purl="pkg:pypi/django@4.2.4",
        purl_key="pypi/django",
        repository_keys=(),
        direct=True,
    )
    assert by_key["github/github/codeql-action/init"].repository_keys == (
        "github.com/github/codeql-action",
    )


def test_cyclonedx_direct_dependencies_come_from_the_graph():
    parsed = sbom_parse(sbom_bytes(YOUTUBE))
    assert parsed.has_graph
    assert len(parsed.components) == 148
    direct = {c.purl_key for c in parsed.components if c.direct}
    assert len(direct) == 34
    assert {"pypi/requests", "pypi/fastapi", "pypi/rich"} <= direct
    assert {"pypi/urllib3", "pypi/pydantic", "pypi/certifi"}.isdisjoint(direct)


def test_spdx_with_free_text_licences_is_read():
    """sbom4python writes licence names spdx-tools refuses; the platform does not read them."""
    parsed = sbom_parse(sbom_bytes(BITCASTER))
    assert (parsed.format, parsed.spec_version) == ("SPDX", "2.3")
    assert len(parsed.components) == 320
    aiohttp = next(c for c in parsed.components if c.purl_key == "pypi/aiohttp")
    assert aiohttp.repository_keys == ("github.com/aio-libs/aiohttp",)
    # Every package is "described": the top-level ones (nobody depends on them) are direct.
    direct = {c.purl_key for c in parsed.components if c.direct}
    assert len(direct) == 68
    assert "pypi/django" not in direct


def test_spdx_from_syft_leaves_out_the_root_directory():
    parsed = sbom_parse(sbom_bytes(FLASK))
    assert parsed.application == ""  # syft scanned the directory "."
    assert len(parsed.components) == 116
    assert all(c.direct for c in parsed.components)  # the root contains them all
    keys = [c.purl_key for c in parsed.components]
    assert keys.count("github/actions/checkout") == 3
    assert sum(k.startswith("pypi/") for k in keys) == 100


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The file is empty."),
        (b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'/>", "The file is not JSON."),
        (b"\xff\xfe\x00", "The file is not JSON."),
        (_json({"name": "x"}), "This JSON file is not an SBOM"),
        (_json([1, 2]), "This JSON file is not an SBOM"),
        (_json({"bomFormat": "CycloneDX", "specVersion": "1.3"}), "CycloneDX 1.3 is not supported"),
        (_json({"bomFormat": "CycloneDX"}), "CycloneDX ? is not supported"),
        (_json({"spdxVersion": "SPDX-2.1"}), "SPDX-2.1 is not supported"),
        (
            _json(
                {
                    "bomFormat": "CycloneDX",
                    "specVersion": "1.5",
                    "components": [{"type": "library"}],
                }
            ),
            "The CycloneDX document is malformed: Component.__init__() missing",
        ),
        (
            _json({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "x"}),
            "The CycloneDX document is malformed: “components” is not a list.",
        ),
        (
            _json({"spdxVersion": "SPDX-2.3", "packages": [{"name": "x"}]}),
            "The SPDX document is malformed",
        ),
    ],
)
def test_bad_input_is_named(raw, message):
    with pytest.raises(SbomError) as caught:
        sbom_parse(raw)
    assert message in str(caught.value)


def test_an_oversized_file_is_refused_before_reading_it():
    with pytest.raises(SbomError, match="at most 5 MB"):
        sbom_parse(b" " * (MAX_SBOM_BYTES + 1))


def test_messages_are_in_french_too():
    with translation.override("fr"), pytest.raises(SbomError) as caught:
        sbom_parse(b"not json")
    assert "JSON" in str(caught.value)
    assert "The file" not in str(caught.value)
