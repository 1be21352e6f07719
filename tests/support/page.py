"""Read what a person sees in a rendered page: table cells and text, by element id (stdlib only)."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}


class _Element:
    def __init__(self, tag: str, attrs: dict, parent: "_Element | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[_Element | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):
        for child in self.children:
            if isinstance(child, _Element):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = _Element("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    def __init__(self, html: str):
        builder = _TreeBuilder()
        builder.feed(html)
        self.root = builder.root

    def by_id(self, ident: str) -> _Element:
        for element in self.root.iter():
            if element.attrs.get("id") == ident:
                return element
        raise AssertionError(f"no element with id {ident!r} on the page")

    def table(self, ident: str) -> list[list[str]]:
        """Body rows of the table with this id, each cell's text stripped."""
        return [[td.text().strip() for td in tr.iter("td")] for tr in self.by_id(ident).iter("tr") if list(tr.iter("td"))]

    def text(self, ident: str | None = None) -> str:
        return " ".join((self.by_id(ident) if ident else self.root).text().split())
