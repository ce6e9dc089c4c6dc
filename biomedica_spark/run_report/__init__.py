"""The run report: one self-contained HTML page about a lake (jobs/report.py, `make report`).

funnel.py and manifests.py turn counts and export manifests into report values (pure), html.py renders
them (pure, inline SVG and CSS: the page loads nothing), job.py runs the Spark queries through `Lake`.
"""
