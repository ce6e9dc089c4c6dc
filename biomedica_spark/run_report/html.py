"""Render the run report as one self-contained HTML page: inline CSS and SVG, no script, no URL loaded.

Every value that comes from the lake (journal names, concepts, reason codes, run messages, paths) is
escaped here, in one place (`_esc`): a caption or concept name is data, never markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from biomedica_spark.run_report.funnel import Funnel, FunnelStage, Reason
from biomedica_spark.run_report.manifests import ExportedSubset, UnreadableManifest


@dataclass(frozen=True)
class RunRow:
    run_id: str
    job: str
    status: str
    started_at: str
    ended_at: str | None
    seconds: float | None
    versions_read: Mapping[str, int]
    versions_written: Mapping[str, int]
    message: str | None = None


@dataclass(frozen=True)
class ReportData:
    title: str
    lake_root: str
    generated_at: str
    package_version: str
    funnel: Funnel
    cluster_sizes: Sequence[tuple[str, int]]  # (size bucket, clusters)
    duplicates: Sequence[tuple[str, int]]
    join_reasons: Sequence[tuple[str, int]]
    global_concepts: Sequence[tuple[str, int]]
    panel_types: Sequence[tuple[str, int]]
    concept_sources: Sequence[tuple[str, int]]
    exports: Sequence[ExportedSubset]
    unreadable_manifests: Sequence[UnreadableManifest]
    export_root: str | None
    table_versions: Mapping[str, int]  # current version of every table that exists
    runs: Sequence[RunRow]
    notes: Sequence[str] = field(default_factory=tuple)  # what could not be read, and why


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{border-bottom:2px solid #d9e2ec;padding-bottom:.2rem;margin-top:2.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}figure{margin:0 0 1rem 0}
.meta{color:#52606d;font-size:.9rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#f5f7fa}td.count,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.count{font-weight:600;font-size:1rem}.missing{color:#9aa5b1}ul.reasons{margin:0;padding-left:1rem}
code{background:#f0f4f8;padding:0 .2rem;border-radius:3px}.chip{display:inline-block;background:#e6f6ff;
border-radius:3px;padding:0 .3rem;margin:0 .2rem .2rem 0;font-size:.8rem;white-space:nowrap}
.chip.read{background:#f0f4f8}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:1rem}
.status-ok{color:#2f8132}.status-failed,.problem{color:#b42318}td.when{white-space:nowrap}
svg text{font-size:11px;fill:#1f2933}svg .bar{fill:#3e7cb1}.empty{color:#9aa5b1;font-style:italic}
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(items: Sequence[tuple[str, int]], title: str, *, label_width: int = 280) -> str:
    """A horizontal bar chart as inline SVG; each bar has its label, its value and a tooltip."""
    if not items:
        return f'<figure><h3>{_esc(title)}</h3><p class="empty">no data</p></figure>'
    row, bar_width, value_width = 22, 260, 70
    top = max(count for _, count in items) or 1
    width = label_width + bar_width + value_width
    height = row * len(items) + 4
    rows = []
    for i, (label, count) in enumerate(items):
        y = i * row + 2
        length = round(bar_width * count / top) if count > 0 else 0
        rows.append(
            f'<g class="row"><title>{_esc(label)}: {count:,}</title>'
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{_esc(_shorten(label, 42))}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{max(length, 1 if count else 0)}" '
            f'height="{row - 6}"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}">{count:,}</text></g>'
        )
    return (
        f"<figure><h3>{_esc(title)}</h3>"
        f'<svg role="img" aria-label="{_esc(title)}" width="100%" style="max-width:{width}px" '
        f'viewBox="0 0 {width} {height}">{"".join(rows)}</svg></figure>'
    )


def _reasons_list(reasons: Sequence[Reason]) -> str:
    if not reasons:
        return '<span class="missing">none</span>'
    items = "".join(
        f'<li><code class="reason">{_esc(r.reason_code)}</code> <span class="meta">({_esc(r.stage)})</span> '
        f"{r.count:,}</li>"
        for r in reasons
    )
    return f'<ul class="reasons">{items}</ul>'


def _funnel_row(stage: FunnelStage, top: int) -> str:
    width = 260
    length = round(width * stage.count / top) if stage.count and top else 0
    bar = (
        f'<svg width="{width}" height="14" aria-hidden="true"><rect class="bar" x="0" y="1" '
        f'width="{length}" height="12"></rect></svg>'
    )
    missing = "" if stage.count is not None else " missing"
    return (
        f'<tr class="stage" data-stage="{_esc(stage.key)}"><th scope="row">{_esc(stage.label)}</th>'
        f'<td class="count{missing}">{format_count(stage.count)}</td><td>{bar}</td>'
        f'<td class="num quarantined">{stage.quarantined_total:,}</td>'
        f"<td>{_reasons_list(stage.quarantined)}</td></tr>"
    )


def funnel_section(funnel: Funnel) -> str:
    top = max((s.count or 0 for s in funnel.stages), default=0)
    rows = "".join(_funnel_row(stage, top) for stage in funnel.stages)
    table = (
        '<table id="funnel"><thead><tr><th>Stage</th><th>Count</th><th></th><th>Quarantined</th>'
        f"<th>Quarantine reasons (stage)</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    unplaced = ""
    if funnel.unplaced:
        unplaced = (
            "<h3>Quarantine rows of other stages</h3>"
            f'<div id="unplaced-quarantine">{_reasons_list(funnel.unplaced)}</div>'
        )
    return (
        '<section id="funnel-section"><h2>Funnel</h2><p class="meta">Rows of each table (a stage that has '
        "not run yet shows —), with the items quarantined on the way and why.</p>"
        f"{table}{unplaced}</section>"
    )


def dedup_section(data: ReportData) -> str:
    charts = (
        bar_chart(data.cluster_sizes, "Near-duplicate clusters by size (images per cluster)")
        + bar_chart(data.duplicates, "Exact vs near duplicates")
        + bar_chart(data.join_reasons, "Images by how they joined their cluster")
    )
    return f'<section id="dedup"><h2>Dedup</h2><div class="grid">{charts}</div></section>'


def concept_section(data: ReportData) -> str:
    charts = (
        bar_chart(data.global_concepts, "Global concepts among canonical pairs")
        + bar_chart(data.panel_types, "Panel types among canonical pairs")
        + bar_chart(data.concept_sources, "Where canonical pairs' concepts came from")
    )
    return f'<section id="concepts"><h2>Concepts</h2><div class="grid">{charts}</div></section>'


def _chips(versions: Mapping[str, int], kind: str) -> str:
    if not versions:
        return '<span class="missing">—</span>'
    return "".join(
        f'<span class="chip {kind}">{_esc(table)} v{int(version)}</span>'
        for table, version in sorted(versions.items())
    )


def export_section(data: ReportData) -> str:
    where = ""
    if data.export_root:
        where = f'<p class="meta">Manifests under <code>{_esc(data.export_root)}</code></p>'
    if data.exports:
        rows = "".join(
            f'<tr data-subset="{_esc(s.subset)}"><th scope="row">{_esc(s.subset)}</th>'
            f'<td class="num">{s.samples:,}</td><td class="num">{s.shards:,}</td>'
            f'<td class="num">{s.bytes:,}</td>'
            f"<td>{_failed(s.failed)}</td><td>{_chips(s.input_versions, 'read')}</td></tr>"
            for s in sorted(data.exports, key=lambda s: s.subset)
        )
        table = (
            '<table id="exports"><thead><tr><th>Subset</th><th>Samples</th><th>Shards</th><th>Bytes</th>'
            f"<th>Not written</th><th>Table versions read</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        table = '<p class="empty">no export manifest found</p>'
    problems = "".join(
        f'<li class="problem"><code>{_esc(m.path)}</code>: {_esc(m.problem)}</li>'
        for m in data.unreadable_manifests
    )
    problems = f"<h3>Unreadable manifests</h3><ul>{problems}</ul>" if problems else ""
    return f'<section id="export"><h2>Exported samples</h2>{where}{table}{problems}</section>'


def _failed(failed: Mapping[str, int]) -> str:
    if not failed:
        return '<span class="missing">none</span>'
    return "".join(f"<code>{_esc(reason)}</code> {n:,} " for reason, n in sorted(failed.items()))


def lineage_section(data: ReportData) -> str:
    current = "".join(
        f'<tr><th scope="row">{_esc(t)}</th><td class="num">{int(v)}</td></tr>'
        for t, v in sorted(data.table_versions.items())
    )
    current_table = (
        f'<table id="table-versions"><thead><tr><th>Table</th><th>Current version</th></tr></thead>'
        f"<tbody>{current}</tbody></table>"
        if current
        else '<p class="empty">no tables</p>'
    )
    runs = "".join(
        f'<tr class="run" data-run="{_esc(r.run_id)}"><td class="when">{_esc(r.started_at)}</td>'
        f"<td>{_esc(r.job)}</td>"
        f"<td><code>{_esc(r.run_id)}</code></td>"
        f'<td class="status-{_esc(r.status)}">{_esc(r.status)}'
        + (f'<div class="meta">{_esc(_shorten(r.message, 160))}</div>' if r.message else "")
        + f'</td><td class="num">{"" if r.seconds is None else f"{r.seconds:,.1f} s"}</td>'
        f"<td>{_chips(r.versions_read, 'read')}</td><td>{_chips(r.versions_written, 'written')}</td></tr>"
        for r in data.runs
    )
    runs_table = (
        '<table id="runs"><thead><tr><th>Started</th><th>Job</th><th>Run</th><th>Status</th>'
        "<th>Took</th><th>Versions read</th><th>Versions written</th></tr></thead>"
        f"<tbody>{runs}</tbody></table>"
        if runs
        else '<p class="empty">no runs recorded</p>'
    )
    return (
        '<section id="lineage"><h2>Lineage</h2><p class="meta">Each run records the Delta versions it read '
        "and the versions its commits left; an export's manifest names the versions its shards came from."
        f"</p><h3>Tables now</h3>{current_table}<h3>Runs</h3>{runs_table}</section>"
    )


def render_report(data: ReportData) -> str:
    notes = "".join(f'<li class="problem">{_esc(note)}</li>' for note in data.notes)
    notes_block = f'<section id="notes"><h2>Could not read</h2><ul>{notes}</ul></section>' if notes else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(data.title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{_esc(data.title)}</h1><p class="meta">Lake <code>{_esc(data.lake_root)}</code> · '
        f"generated {_esc(data.generated_at)} · biomedica-spark {_esc(data.package_version)}</p></header>"
        f"{notes_block}{funnel_section(data.funnel)}{dedup_section(data)}{concept_section(data)}"
        f"{export_section(data)}{lineage_section(data)}</body></html>\n"
    )
