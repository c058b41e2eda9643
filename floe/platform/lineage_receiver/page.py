"""The lineage store's pages for people: what Marquez's web UI shows, drawn from the same JSON the
API answers with, so the picture and the API can never disagree.

Graphviz lays the graph out (datasets as boxes, jobs as rounded boxes coloured by their latest
run), each drawn node and edge carrying its lineage node id so a reader of the page, or a test,
can tie what is drawn back to the API.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

import graphviz

_STATE_COLOURS = {"COMPLETED": "#1a7f37", "FAILED": "#cf222e", "ABORTED": "#9a6700"}
_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em;
       color: #222; background: #fafafa; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; }
th { background: #f0f0f0; } .graph { background: #fff; border: 1px solid #ddd; padding: 1em; }
.graph svg { max-width: 100%; height: auto; }
"""


def _document(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def node_link(node_id: str) -> str:
    return f"/lineage?nodeId={quote(node_id, safe='')}"


def _state(node: dict[str, Any]) -> str:
    run = node["data"].get("latestRun") or {}
    return str(run.get("state", ""))


def _svg(lineage: dict[str, Any], focus: str) -> str:
    dot = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "bgcolor": "transparent", "nodesep": "0.25"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": "#888888", "arrowsize": "0.7"},
    )
    for i, node in enumerate(lineage["graph"]):
        data = node["data"]
        is_job = node["type"] == "JOB"
        state = _state(node) if is_job else ""
        label = f"{data['name']}\n{state.lower()}" if state else data["name"]
        dot.node(
            f"n{i}",
            label=label,
            id=node["id"],
            shape="box",
            style="rounded,filled" if is_job else "filled",
            fillcolor="#eef2ff" if is_job else ("#fff3c4" if node["id"] == focus else "#ffffff"),
            color=_STATE_COLOURS.get(state, "#555555"),
            penwidth="2" if node["id"] == focus else "1",
            href=node_link(node["id"]),
            tooltip=node["id"],
        )
    index = {node["id"]: f"n{i}" for i, node in enumerate(lineage["graph"])}
    for node in lineage["graph"]:
        for edge in node["outEdges"]:
            origin, destination = edge["origin"], edge["destination"]
            dot.edge(index[origin], index[destination], id=f"edge {origin} -> {destination}")
    svg = str(dot.pipe(format="svg", encoding="utf-8"))
    return svg[svg.index("<svg") :]  # drop the XML prolog and doctype: it sits inside HTML


def graph_page(lineage: dict[str, Any], focus: str) -> str:
    """One node's lineage: the drawn graph, then the same nodes as a table."""
    rows = "".join(
        f"<tr><td>{escape(n['type'].lower())}</td><td>{escape(n['data']['namespace'])}</td>"
        f'<td><a href="{escape(node_link(n["id"]))}">{escape(n["data"]["name"])}</a></td>'
        f"<td>{escape(_state(n).lower())}</td></tr>"
        for n in lineage["graph"]
    )
    body = (
        f"<p>Lineage around <code>{escape(focus)}</code>: datasets read and written by every "
        'job connected to it. <a href="/lineage">All namespaces</a> · '
        f'<a href="/api/v1/lineage?nodeId={quote(focus, safe="")}">as JSON</a></p>'
        f'<div class="graph" id="lineage-graph">{_svg(lineage, focus)}</div>'
        '<h2>Nodes</h2><table id="lineage-nodes"><thead><tr><th>Kind</th><th>Namespace</th>'
        f"<th>Name</th><th>Latest run</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _document("Lineage", body)


def error_page(message: str) -> str:
    return _document("Lineage", f'<p id="lineage-error">{escape(message)}</p>')


def index_page(namespaces: dict[str, list[dict[str, Any]]]) -> str:
    """Every namespace with its datasets, each a link to its lineage graph."""
    if not namespaces:
        return _document("Lineage", "<p>No lineage events received yet.</p>")
    sections = []
    for namespace, datasets in sorted(namespaces.items()):
        names = sorted(str(d["name"]) for d in datasets)
        links = "".join(
            f'<li><a href="{escape(node_link(f"dataset:{namespace}:{name}"))}">'
            f"{escape(name)}</a></li>"
            for name in names
        )
        sections.append(f"<h2>{escape(namespace)}</h2><ul>{links}</ul>")
    return _document("Lineage", "".join(sections))
