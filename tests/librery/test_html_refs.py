"""The page check the authorization matrix runs on every HTML page it gets."""

from __future__ import annotations

from tests.html_refs import dangling_references


def test_a_reference_to_a_missing_id_is_named_and_a_present_one_is_not() -> None:
    page = (
        '<label for="a">A</label><input id="a" aria-describedby="a_help b_help">'
        '<p id="a_help">Help</p><label for="c">C</label><div aria-labelledby="a">x</div>'
        '<output for="nowhere"></output>'
    )
    assert dangling_references(page) == ['<input aria-describedby="b_help">', '<label for="c">']
