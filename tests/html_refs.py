"""ID references of an HTML page: each `aria-describedby`, `aria-labelledby`,
`aria-controls` and label `for` must name an element of the same page (a
screen reader otherwise reads nothing where the page promised a description)."""

from __future__ import annotations

from html.parser import HTMLParser

_REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "for")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in _REFERENCES and (name != "for" or tag == "label"):
                self.references.extend((tag, name, ref) for ref in value.split())


def dangling_references(html: str) -> list[str]:
    """`<tag attribute="id">` for each reference to an id the page does not hold."""
    parser = _Ids()
    parser.feed(html)
    parser.close()
    return [
        f'<{tag} {attribute}="{ref}">'
        for tag, attribute, ref in parser.references
        if ref not in parser.ids
    ]
