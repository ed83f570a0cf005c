"""GraphML (yEd, Gephi, Cytoscape) and GEXF (Gephi) files of the partner graph.

The writers accept only strings, numbers and booleans, so tuples become ``"; "``-joined
text, mappings JSON with sorted keys, and ``None`` an empty string. Attribute names are
kept. Nodes and edges keep the graph's order, and GEXF's date stamp is left out, so the
same protocol always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import networkx as nx
import numpy as np

from ..model.text import visible


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return _xml_text(value)
    if isinstance(value, dict):
        return json.dumps({str(k): v for k, v in value.items()}, sort_keys=True, default=str)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return _xml_text("; ".join(str(x) for x in items))
    return _xml_text(str(value))


def _xml_text(text: str) -> str:
    """Text XML can hold: control characters (which no XML 1.0 file may contain) written as escapes."""
    return visible(text, keep="\n\t")


def plain_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of the graph whose attributes the GraphML and GEXF writers accept.

    An attribute that is a boolean on some elements and missing on others stays a boolean;
    every other value keeps its type when it has one the writers know.

    Examples
    --------
    >>> g = nx.MultiDiGraph(facts={"risk": "red"}, stage=None)
    >>> g.add_edge("a", "b", key="k", rules=("R1", "R2"))
    'k'
    >>> h = plain_graph(g)
    >>> h.graph["facts"], h.graph["stage"], h.edges["a", "b", "k"]["rules"]
    ('{"risk": "red"}', '', 'R1; R2')
    """
    out = nx.MultiDiGraph()
    out.graph.update({k: _plain(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        out.add_node(_plain(node), **{k: _plain(v) for k, v in data.items()})
    for u, v, key, data in graph.edges(keys=True, data=True):
        out.add_edge(_plain(u), _plain(v), key=_plain(key), **{k: _plain(val) for k, val in data.items()})
    return out


def write_graphml(graph: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write the graph as GraphML; edge ids are the graph's edge keys."""
    path = Path(path)
    buffer = io.BytesIO()
    nx.write_graphml_xml(plain_graph(graph), buffer, encoding="utf-8", prettyprint=True, named_key_ids=True)
    path.write_bytes(buffer.getvalue())
    return path


def write_gexf(graph: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write the graph as GEXF 1.2, without the date stamp networkx adds."""
    path = Path(path)
    plain = plain_graph(graph)
    # GEXF keeps only 'mode' and 'name' of the graph's attributes; name the graph after the protocol
    plain.graph = {"name": str(graph.graph.get("title") or graph.graph.get("protocol") or "")}
    for node, data in plain.nodes(data=True):
        data["label"] = data.get("name") or str(node)   # what Gephi shows; the id stays the partner id
    buffer = io.BytesIO()
    nx.write_gexf(plain, buffer, encoding="utf-8", prettyprint=True)
    text = re.sub(rb'\s+lastmodifieddate="[^"]*"', b"", buffer.getvalue(), count=1)
    path.write_bytes(text)
    return path
