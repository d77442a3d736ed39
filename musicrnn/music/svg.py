"""SVG made safe to put in a page: an allow-list sanitizer (no script, no event handlers, no outside links)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from musicrnn.errors import RenderError

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
#: What a score may hold: the elements and attributes verovio writes. Anything else is not kept: an element
#: that can run or fetch something goes with everything inside it; another unknown one (`<a>`) gives way to
#: its children, which are checked in turn.
ALLOWED_TAGS = frozenset({"svg", "g", "defs", "symbol", "use", "path", "polygon", "polyline", "line", "rect",
                          "circle", "ellipse", "text", "tspan", "title", "desc", "style"})
DROPPED_WITH_CONTENT = frozenset({"script", "foreignobject", "iframe", "object", "embed", "handler", "listener",
                                  "image", "feimage", "animate", "animatemotion", "animatetransform", "set",
                                  "audio", "video", "canvas", "html", "body", "meta", "link", "base"})
ALLOWED_ATTRS = frozenset({
    "id", "class", "d", "transform", "points", "x", "y", "x1", "y1", "x2", "y2", "dx", "dy", "width", "height",
    "rx", "ry", "cx", "cy", "r", "viewbox", "version", "overflow", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-miterlimit",
    "stroke-opacity", "opacity", "font-size", "font-family", "font-style", "font-weight", "text-anchor", "color",
    "type", "preserveaspectratio", "space", "dominant-baseline", "visibility", "href", "style",
})
_UNSAFE_CSS = re.compile(r"url\s*\(|@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding|<", re.I)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _clean_attributes(el: ET.Element) -> None:
    for attr in list(el.attrib):
        name, value = _local(attr), el.attrib[attr]
        ok = name in ALLOWED_ATTRS or name.startswith("data-")
        if name == "href":
            ok = value.strip().startswith("#")  # a link to a glyph of this very score, nothing else
        elif name == "style" or name == "type":
            ok = ok and not _UNSAFE_CSS.search(value)
        if not ok:
            del el.attrib[attr]


def _clean_children(parent: ET.Element) -> None:
    kept: list[ET.Element] = []
    for child in list(parent):
        tag = _local(child.tag) if isinstance(child.tag, str) else ""
        in_svg = isinstance(child.tag, str) and (child.tag.startswith("{" + _SVG_NS + "}") or "}" not in child.tag)
        if tag in DROPPED_WITH_CONTENT or not tag:
            continue
        if tag == "style" and _UNSAFE_CSS.search("".join(child.itertext())):
            continue
        _clean_children(child)
        if tag in ALLOWED_TAGS and in_svg:
            _clean_attributes(child)
            kept.append(child)
        else:
            kept.extend(list(child))  # unwrap: its checked children take its place
    for child in list(parent):  # the text after a dropped element goes with it
        parent.remove(child)
    parent.extend(kept)


def sanitize_svg(svg: str) -> str:
    """An SVG with only the elements and attributes a score needs (ALLOWED_TAGS, ALLOWED_ATTRS): no script,
    foreignObject, event handlers, links that are not fragment links (`href="#glyph"`), or CSS with `url(`.
    Text stays as escaped character data."""
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        raise RenderError(f"verovio produced malformed SVG: {e}") from None
    if _local(root.tag) != "svg":
        raise RenderError("not an SVG document")
    _clean_attributes(root)
    _clean_children(root)
    box = root.get("viewBox", "").split()
    if len(box) == 4 and "width" not in root.attrib:
        # an <img> needs an intrinsic size; the viewBox keeps it scalable
        root.set("width", f"{box[2]}px")
        root.set("height", f"{box[3]}px")
    return ET.tostring(root, encoding="unicode")


def count_svg_notes(svg: str) -> int:
    """Number of engraved notes (verovio's `<g class="note">` groups)."""
    return len(re.findall(r'class="note(?:\s[^"]*)?"', svg))


# ----------------------------------------------------------------------------- all at once
