"""Message bodies made safe to preview.

A body comes from the email tool: it is untrusted HTML. The preview shows it in an iframe
(so its styles cannot reach the page) after it has been cleaned here, on the server, with nh3
(ammonia): no script runs, no event-handler attribute survives, no `javascript:` URL, and
nothing is fetched from elsewhere (tracking pixels and remote images are dropped, as is
every CSS `url()`). Links stay and open in a new tab. The document wrapped around the clean
body also carries a Content-Security-Policy that forbids scripts and remote loads: a second
lock, should a sanitiser rule ever miss something.
"""

from __future__ import annotations

import html
import re

import nh3

# What email bodies use: the ammonia defaults, plus the old presentational tags and
# attributes of table-based email layouts. No form, input, iframe, object, svg, style, link.
TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "tfoot"}) - {"map", "area"}
GENERIC_ATTRIBUTES = {"style", "title", "dir", "lang", "align", "valign", "width", "height", "bgcolor"}
ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang", "name"},
    "img": {"alt", "src", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "frame", "rules"},
    "td": {"colspan", "rowspan", "headers", "nowrap"},
    "th": {"colspan", "rowspan", "headers", "scope", "nowrap"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "font": {"color", "face", "size"},
    "hr": {"size", "noshade"},
    "bdo": {"dir"},
    "time": {"datetime"},
    "data": {"value"},
}
LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# Only images inlined in the body itself are shown: anything else would be fetched.
INLINE_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|jpg|webp);base64,[a-z0-9+/=\s]*$", re.IGNORECASE)
# A CSS declaration that could fetch something or run code is dropped whole. Backslashes
# (CSS escapes can spell `url(`), comments and at-rules go too: a preview loses nothing.
UNSAFE_CSS = re.compile(r"url|image|expression|behavior|binding|import|\\|/\*|@|<|&", re.IGNORECASE)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-src 'none'"
)
PREVIEW_STYLE = (
    "html{color-scheme:light}"
    "body{margin:0;padding:16px 20px;background:#fff;color:#1f2328;"
    "font:15px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}"
)


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return _safe_style(value)
    if element == "a" and attribute == "href":
        url = value.strip()
        return url if url.lower().startswith(LINK_SCHEMES) else None
    if element == "img" and attribute == "src":
        return value if INLINE_IMAGE.match(value.strip()) else None
    return value


def _safe_style(value: str) -> str | None:
    kept = [d.strip() for d in value.split(";") if d.strip() and ":" in d and not UNSAFE_CSS.search(d)]
    return "; ".join(kept) or None


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags={
        "script",
        "style",
        "title",
        "head",
        "template",
        "noscript",
        "textarea",
        "select",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "xmp",
        "noembed",
        "noframes",
    }
    - TAGS,
    attributes=ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes={"http", "https", "mailto", "tel", "data"},
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)
# An <img> whose source was remote has lost its src: drop the tag rather than draw a broken image.
_IMG_WITHOUT_SRC = re.compile(r"<img\b(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def clean_body(body_html: str | None) -> str:
    """The body with everything unsafe removed (an HTML fragment)."""
    if not body_html:
        return ""
    return _IMG_WITHOUT_SRC.sub("", _CLEANER.clean(body_html))


def preview_document(body_html: str | None, title: str = "") -> str:
    """A whole HTML document for the preview iframe: the cleaned body, a strict CSP, links to
    a new tab. Always a document (never a bare string), so an iframe can never take a body
    that happens to look like a URL or a path as its address."""
    body = clean_body(body_html) or '<p style="color:#6e7781"><em>(empty message body)</em></p>'
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="referrer" content="no-referrer">'
        '<base target="_blank">'
        f"<title>{html.escape(title)}</title><style>{PREVIEW_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def preview_height(body_html: str | None, low: int = 180, high: int = 640) -> int:
    """A frame height that fits most bodies (the frame scrolls beyond). The policy above
    forbids scripts in the frame, so Streamlit cannot measure its content: estimate it."""
    body = clean_body(body_html)
    blocks = len(re.findall(r"<(p|div|h[1-6]|li|tr|br|hr|table|blockquote|pre)\b", body, re.IGNORECASE))
    text = len(re.sub(r"<[^>]+>", "", body))
    return max(low, min(high, 48 + 30 * blocks + 26 * (text // 90)))
