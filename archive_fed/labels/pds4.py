"""PDS4 (XML) label reader: namespace-aware lxml, hardened against hostile XML.

Entity expansion, DTD loading and network access are disabled; a label that declares a DOCTYPE or an
ENTITY is refused outright (PDS4 labels never need one), which also defeats billion-laughs and XXE.
The byte check catches ASCII-compatible encodings; for the others (UTF-16/32) a resolver that answers
every external reference with nothing keeps libxml2 from opening any file or URL, and a DOCTYPE found
in the parsed document is refused all the same. Labels with more than :data:`MAX_MARKUP` tags are
refused before parsing, which bounds the time and memory a label can cost (about 0.3 s, 60 MB).
Chang'e detached labels (``.2BL``, ``.2CL``, ``.01L`` ...) are PDS4 XML and read here too.

>>> label = parse_pds4(b'<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1">'
...                    b'<Identification_Area><logical_identifier>urn:x:y</logical_identifier>'
...                    b'</Identification_Area></Product_Observational>')
>>> label.find("Identification_Area/logical_identifier")
'urn:x:y'
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from lxml import etree

from ..errors import LabelError
from .base import Label, with_unit

PDS4_NAMESPACE = "http://pds.nasa.gov/pds4/pds/v1"
MAX_LABEL_BYTES = 16 * 1024 * 1024

#: Most '<' a label may contain (tags, comments, CDATA): real labels have a few thousand.
MAX_MARKUP = 400_000


class _NoExternalResolver(etree.Resolver):
    """Answers every external DTD or entity lookup with empty text: nothing outside the label is read."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        return self.resolve_string("", context)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)
_PARSER.resolvers.add(_NoExternalResolver())
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _path_expr(path: str) -> str:
    """``"A/b"`` → ``"{*}A/{*}b"``: namespace-agnostic ElementPath."""
    return "/".join(part if part in (".", "..", "*", "") or part.startswith("{") else "{*}" + part
                    for part in path.split("/"))


class PDS4Label(Label):
    """A parsed PDS4 label: the lxml ``root`` plus mapping access by element local names.

    ``label["Identification_Area"]["logical_identifier"]`` works like :meth:`to_dict`; for direct XPath-like
    lookups use :meth:`find` / :meth:`findall` / :meth:`findtext` with local-name paths.
    """

    format = "PDS4"

    def __init__(self, root: etree._Element, path: str | None = None) -> None:
        super().__init__(path)
        self.root = root
        self._dict: dict[str, Any] | None = None
        self._by_name: dict[str, list[etree._Element]] | None = None

    def _descendants(self, name: str) -> list[etree._Element]:
        """Elements with local name ``name`` anywhere below the root, in document order (one tree walk,
        then a dict: normalizing a label asks for a few dozen ``.//`` paths)."""
        if self._by_name is None:
            index: dict[str, list[etree._Element]] = {}
            for node in self.root.iter():
                if isinstance(node.tag, str):
                    index.setdefault(_local(node.tag), []).append(node)
            self._by_name = index
        return self._by_name.get(name, [])

    @property
    def product_class(self) -> str:
        return _local(self.root.tag)

    @property
    def namespaces(self) -> dict[str, str]:
        return {k or "": v for k, v in self.root.nsmap.items()}

    # ---- element access -------------------------------------------------------------------------
    def element(self, path: str, within: etree._Element | None = None) -> etree._Element | None:
        found = self.elements(path, within) if within is None and path.startswith(".//") else None
        if found is not None:
            return found[0] if found else None
        return (self.root if within is None else within).find(_path_expr(path))

    def elements(self, path: str, within: etree._Element | None = None) -> list[etree._Element]:
        if within is None and path.startswith(".//") and "//" not in path[3:]:
            first, _, rest = path[3:].partition("/")
            if first and first not in ("*", ".", ".."):
                nodes = [n for n in self._descendants(first) if n is not self.root]
                if not rest:
                    return nodes
                expression = _path_expr(rest)
                return [m for n in nodes for m in n.findall(expression)]
        return (self.root if within is None else within).findall(_path_expr(path))

    def find(self, path: str, within: etree._Element | None = None) -> str | None:
        """Stripped text of the first element at the local-name ``path`` (None when absent/empty)."""
        node = self.element(path, within)
        return _text(node)

    findtext = find

    def findall(self, path: str, within: etree._Element | None = None) -> list[str]:
        """Stripped texts of every element at ``path`` (empty ones skipped)."""
        return [t for t in (_text(n) for n in self.elements(path, within)) if t is not None]

    def iter(self, local_name: str) -> Iterator[etree._Element]:
        """Every element named ``local_name`` (any namespace), document order."""
        return self.root.iter("{*}" + local_name)

    def line_of(self, node: etree._Element) -> int | None:
        return node.sourceline

    # ---- mapping ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Nested dicts keyed by local names; repeated elements become lists; ``unit="..."`` leaves
        become Quantities (or UnitValue); other leaves are stripped strings."""
        if self._dict is None:
            self._dict = {self.product_class: _to_value(self.root)}
        return self._dict

    def __getitem__(self, key: str) -> Any:
        body = self.to_dict()[self.product_class]
        if key == self.product_class:
            return body
        return body[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict()[self.product_class])

    def __len__(self) -> int:
        return len(self.to_dict()[self.product_class])

    def __repr__(self) -> str:
        return f"<PDS4Label {self.product_class} {self.path or ''}>"


def _text(node: etree._Element | None) -> str | None:
    if node is None or node.text is None:
        return None
    text = " ".join(node.text.split())
    return text or None


def _to_value(node: etree._Element) -> Any:
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        text = _text(node)
        unit = node.get("unit")
        if unit and text is not None and _NUMBER.match(text):
            number: Any = float(text) if any(ch in text for ch in ".eE") else int(text)
            return with_unit(number, unit)
        return text
    out: dict[str, Any] = {}
    for child in children:
        key = _local(child.tag)
        value = _to_value(child)
        if key in out:
            if isinstance(out[key], _Many):
                out[key].append(value)
            else:
                out[key] = _Many([out[key], value])
        else:
            out[key] = value
    return {k: (list(v) if isinstance(v, _Many) else v) for k, v in out.items()}


class _Many(list):
    pass


def looks_like_xml(head: bytes) -> bool:
    """XML sniffing: ``<`` first after an optional BOM and blanks, in UTF-8 or UTF-16 (either order)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return True
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<")


def parse_pds4(data: bytes, *, path: str | None = None) -> PDS4Label:
    """Parse PDS4 label bytes. Raises :class:`LabelError` naming ``path`` and the line on any defect."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise LabelError("empty label", path=path)
    if len(data) > MAX_LABEL_BYTES:
        raise LabelError(f"label larger than {MAX_LABEL_BYTES} bytes", path=path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        raise LabelError("label is UTF-16: PDS4 labels must be UTF-8 (PDS4 Standards Reference)",
                         path=path, line=1)
    match = _FORBIDDEN.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise LabelError(f"refusing <!{match.group(1).decode().upper()}>: DTDs and entity declarations are "
                         "not allowed in PDS4 labels", path=path, line=line)
    markup = data.count(b"<")
    if markup > MAX_MARKUP:
        raise LabelError(f"label too complex: more than {MAX_MARKUP} tags", path=path)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        message = str(exc.msg if hasattr(exc, "msg") else exc)
        message = re.sub(r",\s*line \d+, column \d+$", "", " ".join(message.split()))  # one line
        raise LabelError(f"XML syntax error: {message}", path=path, line=line) from None
    except (ValueError, etree.LxmlError) as exc:
        raise LabelError(f"unreadable XML: {exc}", path=path) from None
    if root is None:
        raise LabelError("no XML root element", path=path)
    if root.getroottree().docinfo.doctype:    # declared in an encoding the byte check cannot read
        raise LabelError("refusing <!DOCTYPE>: DTDs and entity declarations are not allowed in PDS4 labels",
                         path=path, line=1)
    local = _local(root.tag)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if not local.startswith("Product") or (namespace and "pds" not in namespace.lower()):
        raise LabelError(f"not a PDS4 label: root element <{local}> in namespace {namespace or 'none'!r}",
                         path=path, line=root.sourceline)
    return PDS4Label(root, path=path)
