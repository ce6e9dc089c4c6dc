"""A reader of the run report's HTML (biomedica_spark/run_report/html.py), for the unit and browser tests."""

from __future__ import annotations

from html.parser import HTMLParser


class ReportPage(HTMLParser):
    """Tags, attributes, text and section ids of a page, and per funnel row (`tr[data-stage]`) the text of
    its count cell and of the whole row."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.sections: set[str] = set()
        self.counts: dict[str, str] = {}
        self.rows: dict[str, str] = {}
        self._stage: str | None = None
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        values = dict(attrs)
        if tag == "section" and values.get("id"):
            self.sections.add(str(values["id"]))
        if tag == "tr" and values.get("data-stage"):
            self._stage = values["data-stage"]
            self.counts[self._stage] = ""
            self.rows[self._stage] = ""
        if tag == "td" and self._stage and "count" in (values.get("class") or "").split():
            self._in_count = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_count = False
        if tag == "tr":
            self._stage = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._stage:
            self.rows[self._stage] += data + " "
            if self._in_count:
                self.counts[self._stage] += data
