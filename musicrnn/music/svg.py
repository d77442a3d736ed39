"""SVG made safe to put in a page: an allow-list sanitizer (no script, no event handlers, no outside links)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from musicrnn.errors import RenderError

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_BANNED_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}


def sanitize_svg(svg: str) -> str:
    """Drop script-capable parts of an SVG: script/foreignObject elements, `on*` attributes,
    and `javascript:`/`data:` links. Text stays as escaped character data."""
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        raise RenderError(f"verovio produced malformed SVG: {e}") from None

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1].lower()

    for parent in list(root.iter()):
        for child in list(parent):
            if local(child.tag) in _BANNED_TAGS:
                parent.remove(child)
        for attr in list(parent.attrib):
            name = local(attr)
            value = parent.attrib[attr].strip().lower()
            if name.startswith("on"):
                del parent.attrib[attr]
            elif name in ("href", "src") and not value.startswith("#"):
                del parent.attrib[attr]
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
