"""ACL Anthology collection XML (data/xml/<collection>.xml) parsed into WorkRecords, with lxml.

The format is documented by data/xml/schema.rnc in acl-org/acl-anthology:
``<collection id>`` holds ``<volume id>`` elements, each with a ``<meta>`` (booktitle, editors,
publisher, address, month, year, venues...), an optional ``<frontmatter>`` and ``<paper id>``
elements (title, authors, pages, abstract, url, doi, attachments, awards, videos, pwccode...).
Authors and editors are ``<first>``/``<last>`` names with optional ``id`` (a verified ACL
person id) and ``orcid`` attributes and an optional ``<affiliation>``.

Each paper becomes one record whose raw payload is the paper in its context: the collection
and volume elements with the volume's ``<meta>`` and the ``<paper>`` itself, so a change to the
volume (a venue, an editor) also changes the paper's content hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from harvesters.acl.markup import markup_to_text
from harvesters.errors import SourceResponseError
from harvesters.normalize import clean_text, find_github_links, normalize_doi
from harvesters.records import Attachment, AuthorName, QuarantinedInput, WorkRecord

SOURCE = "acl"
ANTHOLOGY_URL = "https://aclanthology.org"
_NEW_STYLE = re.compile(r"^(?P<year>\d{4})\.(?P<venue>[a-z0-9]+)$")
_OLD_STYLE = re.compile(r"^[A-Z](?P<yy>\d{2})$")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True
)


@dataclass(frozen=True)
class VolumeContext:
    """What a paper inherits from its volume."""

    collection_id: str
    volume_id: str
    title: str | None
    year: int | None
    month: str | None
    venues: tuple[str, ...]
    editors: tuple[AuthorName, ...]
    doi: str | None
    envelope_head: str
    envelope_tail: str


def build_anthology_id(collection_id: str, volume_id: str, paper_id: str) -> str:
    """The Anthology id of a paper: ``2022.acl-long.42`` (2020 on) or ``P18-1024`` (before).

    Follows ``acl_anthology.utils.ids.build_id``. Raises ValueError when an old-style volume
    or paper id is not a number.
    """
    if collection_id[:1].isdigit():
        return f"{collection_id}-{volume_id}.{paper_id}"
    volume, paper = int(volume_id), int(paper_id)
    if (
        collection_id.startswith("W")
        or collection_id == "C69"
        or (collection_id == "D19" and volume >= 5)
    ):
        return f"{collection_id}-{volume:02d}{paper:02d}"
    return f"{collection_id}-{volume:01d}{paper:03d}"


def collection_year(collection_id: str) -> int | None:
    """The year of a collection from its id (``2023.acl`` -> 2023, ``P18`` -> 2018, ``C69`` ->
    1969), or None for an id of neither form."""
    if match := _NEW_STYLE.match(collection_id):
        return int(match.group("year"))
    if match := _OLD_STYLE.match(collection_id):
        yy = int(match.group("yy"))
        return 1900 + yy if yy >= 60 else 2000 + yy
    return None


def collection_venue(collection_id: str) -> str | None:
    """The venue part of a new-style collection id (``2023.repl4nlp`` -> ``repl4nlp``)."""
    match = _NEW_STYLE.match(collection_id)
    return match.group("venue") if match else None


def file_url(name: str, template: str = ANTHOLOGY_URL + "/{}") -> str:
    """The URL of a file the XML names: absolute URLs are kept, local names go through
    ``template`` (the Anthology's own URL layout)."""
    return name if "://" in name else template.format(name)


def parse_collection(
    content: bytes, collection_id: str, *, origin: str | None = None
) -> Iterator[WorkRecord | QuarantinedInput]:
    """Every ``<paper>`` of a collection file, as a WorkRecord (frontmatter is skipped: it is
    the volume itself, not a paper).

    A paper that cannot become a record (no title, a malformed id) is yielded as
    QuarantinedInput with its XML. Raises SourceResponseError, naming ``origin`` (the file),
    when the file is not well-formed XML or not a ``<collection>``.
    """
    where = origin or f"{collection_id}.xml"
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceResponseError(where, f"malformed ACL Anthology XML: {exc}") from exc
    if root is None or root.tag != "collection":
        tag = "nothing" if root is None else f"<{root.tag}>"
        raise SourceResponseError(where, f"expected a <collection> element, found {tag}")
    cid = root.get("id") or collection_id
    for volume in root.iterfind("volume"):
        context = _volume_context(cid, volume)
        for paper in volume.iterfind("paper"):
            yield _paper_or_quarantine(paper, context)


def _volume_context(collection_id: str, volume: etree._Element) -> VolumeContext:
    meta = volume.find("meta")
    volume_id = volume.get("id") or ""
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in volume.attrib.items())
    meta_xml = "" if meta is None else etree.tostring(meta, encoding="unicode", with_tail=False)
    year_text = _text(meta, "year") if meta is not None else None
    year = int(year_text) if year_text and year_text.isascii() and year_text.isdigit() else None
    return VolumeContext(
        collection_id=collection_id,
        volume_id=volume_id,
        title=markup_to_text(meta.find("booktitle")) if meta is not None else None,
        year=year or collection_year(collection_id),
        month=_text(meta, "month") if meta is not None else None,
        venues=tuple(v for v in (clean_text(e.text) for e in _iter(meta, "venue")) if v),
        editors=tuple(_person(e) for e in _iter(meta, "editor")),
        doi=normalize_doi(_text(meta, "doi")) if meta is not None else None,
        envelope_head=(f"<collection id={quoteattr(collection_id)}><volume{attrs}>{meta_xml}"),
        envelope_tail="</volume></collection>",
    )


def _paper_or_quarantine(
    paper: etree._Element, context: VolumeContext
) -> WorkRecord | QuarantinedInput:
    raw = (
        context.envelope_head
        + etree.tostring(paper, encoding="unicode", with_tail=False)
        + context.envelope_tail
    )
    paper_id = paper.get("id") or ""
    try:
        anthology_id = build_anthology_id(context.collection_id, context.volume_id, paper_id)
    except ValueError:
        anthology_id = ""
    if not paper_id or not anthology_id:
        return QuarantinedInput(
            source=SOURCE,
            reason=f"paper without a usable id in volume {context.volume_id!r}",
            raw=raw,
            source_id=None,
        )
    title = markup_to_text(paper.find("title"))
    if not title:
        return QuarantinedInput(
            source=SOURCE, reason="paper without a title", raw=raw, source_id=anthology_id
        )
    return _record(paper, context, anthology_id, title, raw)


def _record(
    paper: etree._Element, context: VolumeContext, anthology_id: str, title: str, raw: str
) -> WorkRecord:
    abstract = markup_to_text(paper.find("abstract"))
    doi = normalize_doi(_text(paper, "doi"))
    identifiers = {"acl": anthology_id}
    if doi:
        identifiers["doi"] = doi
    url = _text(paper, "url")
    attachments = [
        Attachment(kind=e.get("type") or "attachment", url=file_url(e.text.strip(), _ATTACHMENT))
        for e in paper.iterfind("attachment")
        if e.text and e.text.strip()
    ]
    attachments += [
        Attachment(kind="video", url=file_url(href))
        for e in paper.iterfind("video")
        if (href := e.get("href"))
    ]
    attachments += [
        Attachment(kind="revision", url=file_url(f"{href}.pdf"))
        for e in paper.iterfind("revision")
        if (href := e.get("href"))
    ]
    attachments += [
        Attachment(kind="erratum", url=file_url(f"{e.text.strip()}.pdf"))
        for e in paper.iterfind("erratum")
        if e.text and e.text.strip()
    ]
    attachments += [
        Attachment(kind="dataset", url=href)
        for e in paper.iterfind("pwcdataset")
        if (href := e.get("url"))
    ]
    pwc_code = [href for e in paper.iterfind("pwccode") if (href := e.get("url"))]
    code_links = tuple(dict.fromkeys([*pwc_code, *find_github_links(abstract)]))
    notes = [clean_text(e.text) for e in paper.iterfind("note")]
    for tag in ("retracted", "removed"):
        for e in paper.iterfind(tag):
            notes.append(f"{tag}: {clean_text(e.text) or ''}".strip().rstrip(":"))
    editors = tuple(_person(e) for e in paper.iterfind("editor")) or context.editors
    return WorkRecord(
        source=SOURCE,
        source_id=anthology_id,
        title=title,
        raw=raw,
        raw_format="acl-xml",
        abstract=abstract,
        authors=tuple(_person(e) for e in paper.iterfind("author")),
        identifiers=identifiers,
        year=context.year,
        venue=context.title,
        comment="; ".join(n for n in notes if n) or None,
        urls=(f"{ANTHOLOGY_URL}/{anthology_id}/",),
        code_links=code_links,
        month=context.month,
        pages=_text(paper, "pages"),
        pdf_url=file_url(f"{url}.pdf" if "://" not in url else url) if url else None,
        venues=context.venues,
        editors=editors,
        attachments=tuple(dict.fromkeys(attachments)),
        awards=tuple(a for a in (clean_text(e.text) for e in paper.iterfind("award")) if a),
    )


_ATTACHMENT = ANTHOLOGY_URL + "/attachments/{}"


def _person(element: etree._Element) -> AuthorName:
    """An ``<author>``/``<editor>``: "First Last", affiliation, ACL person id and ORCID."""
    first = clean_text(element.findtext("first"))
    last = clean_text(element.findtext("last"))
    name = " ".join(p for p in (first, last) if p)
    ids = {}
    if person_id := (element.get("id") or "").strip():
        ids["acl"] = person_id
    if orcid := (element.get("orcid") or "").strip():
        ids["orcid"] = orcid
    affiliations = tuple(
        a for a in (clean_text(e.text) for e in element.iterfind("affiliation")) if a
    )
    return AuthorName(name=name, affiliations=affiliations, ids=ids)


def _text(element: etree._Element | None, tag: str) -> str | None:
    if element is None:
        return None
    return clean_text(element.findtext(tag))


def _iter(element: etree._Element | None, tag: str) -> Iterator[etree._Element]:
    return iter(()) if element is None else element.iterfind(tag)
