"""Reading CAP feeds safely: Atom and RSS 2.0 documents whose entries embed a CAP alert or link
to it (defusedxml: no DTDs, no entities)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from services.alerts.domain.feeds import FeedEntry, FeedError

ATOM = "http://www.w3.org/2005/Atom"
CAP_NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
#: The most a feed document may weigh.
MAX_FEED_BYTES = 10 * 1024 * 1024


def read_feed(raw: bytes) -> list[FeedEntry]:
    """The entries of an Atom or RSS 2.0 feed, in the feed's order.

    :raise FeedError: too large, not well-formed, a DTD or entity, or neither Atom nor RSS 2.0.
    """
    if len(raw) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is {len(raw):,} bytes; feeds over {MAX_FEED_BYTES:,} bytes are refused")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(f"refused: the feed declares a DTD or entities ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise FeedError(f"the feed is not well-formed XML: {exc}") from exc
    try:
        if root.tag == f"{{{ATOM}}}feed":
            return [_atom_entry(e, n) for n, e in enumerate(root.findall(f"{{{ATOM}}}entry"))]
        if root.tag == "rss":
            return [_rss_item(i, n) for n, i in enumerate(root.findall("channel/item"))]
    except RecursionError as exc:
        raise FeedError("the feed nests elements too deeply") from exc
    raise FeedError(f"neither an Atom nor an RSS 2.0 feed (root element {root.tag!r})")


def _alert_in(element: Any) -> bytes | None:
    """A CAP alert embedded in ``element``, as its own document."""
    for child in element.iter():
        if any(child.tag == f"{{{ns}}}alert" for ns in CAP_NAMESPACES):
            return bytes(ElementTree.tostring(child, encoding="utf-8"))
    return None


def _text(element: Any, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _atom_entry(entry: Any, number: int) -> FeedEntry:
    content = entry.find(f"{{{ATOM}}}content")
    embedded = _alert_in(content) if content is not None else None
    links = entry.findall(f"{{{ATOM}}}link")
    cap = [link.get("href") for link in links if link.get("type") in CAP_TYPES and link.get("href")]
    plain = [
        link.get("href") for link in links if link.get("rel") in (None, "alternate") and link.get("href")
    ]
    link = (cap or ([] if embedded else plain) or [None])[0]
    identifier = _text(entry, f"{{{ATOM}}}id") or link or f"entry {number}"
    return FeedEntry(identifier, embedded, link)


def _rss_item(item: Any, number: int) -> FeedEntry:
    link = _text(item, "link")
    enclosure = item.find("enclosure")
    if enclosure is not None and enclosure.get("type") in CAP_TYPES and enclosure.get("url"):
        link = enclosure.get("url")
    identifier = _text(item, "guid") or link or f"item {number}"
    return FeedEntry(identifier, _alert_in(item), link)
