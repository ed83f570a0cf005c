"""Reading plain YAML data fast, with libyaml, exactly as the round-trip reader would read it.

A case file of 100,000 requests takes minutes through ruamel.yaml's round-trip reader,
which is pure Python and keeps every comment and position. Case files are read for their
data; positions are needed only to point at a problem. So a case file is first parsed by
libyaml (PyYAML's C parser) into nodes, and those nodes are turned into Python values with
the round-trip reader's own rules for plain scalars (YAML 1.2: ``yes`` and ``on`` are text,
``010`` is ten). Anything beyond plain data (a tag, an alias of a list or mapping, a merge key, a
directive, a duplicate or complex key, or text libyaml will not parse; an alias of a scalar
is its value, as it is for the round-trip reader) is not read here:
:func:`load_plain` returns None and the caller reads the file the round-trip way, with its
checks (alias expansion, nesting) and its located errors.

The size cap and the regular-file checks come first, in
:func:`protocolkit.model.source.read_bytes_checked`, whichever reader parses the text.
"""

from __future__ import annotations

from typing import Any

_IMPLICIT = "tag:protocolkit:implicit"   # what a node without an explicit tag is tagged while composing


def _loader():
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - PyYAML built without libyaml
        return None

    class ComposeOnly(yaml.CSafeLoader):
        """libyaml's parser and composer; every node without an explicit tag tagged as implicit."""

        def resolve(self, kind, value, implicit):  # noqa: ARG002 - PyYAML's signature
            return _IMPLICIT

    return ComposeOnly


_LOADER: Any = None


class _NotPlain(Exception):
    """The document uses more than plain data: read it the round-trip way."""


def load_plain(text: str) -> Any | None:
    """The data of a YAML document of plain mappings, sequences and scalars, or None when it is more.

    Examples
    --------
    >>> load_plain("id: a\\nflags: [yes, on, 010, 1.5, true, null]\\n")
    {'id': 'a', 'flags': ['yes', 'on', 10, 1.5, True, None]}
    >>> load_plain("a: &x [1]\\nb: *x\\n") is None   # an alias of a list: read the round-trip way
    True
    >>> load_plain("a: !!python/name:os.system x\\n") is None   # a tag: refused the round-trip way
    True
    """
    global _LOADER
    if _LOADER is None:
        _LOADER = _loader() or False
    if not _LOADER or "\t" in text or text.lstrip("\ufeff").startswith("%") or "\n%" in text:
        return None
    import yaml

    try:
        loader = _LOADER(text.lstrip("\ufeff"))
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    if node is None:
        return None
    try:
        return _Builder().build(node)
    except (_NotPlain, RecursionError):
        return None


class _Builder:
    """Python values from composed nodes, plain scalars resolved and built by the round-trip reader's own
    resolver and constructor (YAML 1.2)."""

    def __init__(self):
        import yaml

        from .source import round_trip_yaml

        reader = round_trip_yaml()   # its own resolver and constructor: the same values as a round-trip read
        self.resolver, self.constructor = reader.resolver, reader.constructor
        self.plain: dict[str, Any] = {}   # each distinct plain scalar resolved once
        self.seen: set[int] = set()       # containers met so far (an alias meets one again)
        self.kinds = (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode)

    def build(self, node) -> Any:
        scalar_node, sequence_node, mapping_node = self.kinds
        kind = type(node)
        if node.tag != _IMPLICIT:       # an explicit tag
            raise _NotPlain()
        if kind is scalar_node:
            return self.scalar(node)
        if id(node) in self.seen:       # an alias of a container
            raise _NotPlain()
        self.seen.add(id(node))
        if kind is sequence_node:
            return [self.scalar(item) if type(item) is scalar_node and item.tag == _IMPLICIT else self.build(item)
                    for item in node.value]
        if kind is not mapping_node:
            raise _NotPlain()
        out: dict = {}
        for key_node, value_node in node.value:
            if type(key_node) is not scalar_node or key_node.tag != _IMPLICIT or (
                    key_node.value == "<<" and not key_node.style):
                raise _NotPlain()         # a complex or tagged key, or a merge key
            key = self.scalar(key_node)
            try:
                if key in out:            # ruamel refuses duplicate keys, saying where
                    raise _NotPlain()
            except TypeError:             # an unhashable key
                raise _NotPlain() from None
            out[key] = self.scalar(value_node) if type(value_node) is scalar_node and value_node.tag == _IMPLICIT \
                else self.build(value_node)
        return out

    def scalar(self, node) -> Any:
        value = node.value
        if node.style:                  # quoted or block: always text (plain is the empty style)
            return value
        found = self.plain.get(value, self)
        if found is self:
            from ruamel.yaml.nodes import ScalarNode

            tag = self.resolver.resolve(ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:str":
                found = value
            else:
                try:
                    found = self.constructor.construct_object(ScalarNode(tag, value), deep=True)
                except Exception:  # noqa: BLE001 - anything ruamel would build differently: read it its way
                    raise _NotPlain() from None
            self.plain[value] = found
        return found


def locate_plain(text: str, path: tuple) -> tuple[int, int] | None:
    """1-based line and column of the node at ``path``, found by streaming libyaml's events.

    Nothing is built: the events before the node are read and dropped, the rest never read, so
    a position deep in a file of 100,000 requests takes a fraction of a round-trip parse. The
    position is the one :func:`~protocolkit.model.source.node_position` gives (a scalar value
    where the path ends on one, else the key or list item). None when a step of the path is not
    a key or index of the node it applies to (such as pydantic's union labels), or the file is
    not plain: the caller then asks the round-trip document.

    Examples
    --------
    >>> locate_plain("id: a\\nsteps:\\n- stage: referral\\n  requests:\\n  - {from: police, to: scool}\\n",
    ...              ("steps", 0, "requests", 0, "to"))
    (5, 24)
    >>> locate_plain("id: a\\n", ("steps", 0)) is None
    True
    """
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _loader() or False
    if not _LOADER:
        return None
    loader = _LOADER(text.lstrip("\ufeff"))
    try:
        return _walk(loader, path)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    finally:
        loader.dispose()


def _walk(loader, path: tuple) -> tuple[int, int] | None:
    import yaml

    def at(event) -> tuple[int, int]:
        return event.start_mark.line + 1, event.start_mark.column + 1

    def skip(event) -> None:
        if not isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            return
        depth = 1
        while depth:
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1

    node = loader.get_event()
    while isinstance(node, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
        node = loader.get_event()
    best = at(node)
    for step in path:
        if isinstance(node, yaml.MappingStartEvent) and isinstance(step, str):
            while True:
                key = loader.get_event()
                if not isinstance(key, yaml.ScalarEvent):
                    return None         # the end of the mapping (no such key), or a complex key
                value = loader.get_event()
                if key.value == step:
                    break
                skip(value)
        elif isinstance(node, yaml.SequenceStartEvent) and isinstance(step, int) and step >= 0:
            for _ in range(step):
                item = loader.get_event()
                if isinstance(item, yaml.SequenceEndEvent):
                    return None
                skip(item)
            value = loader.get_event()
            if isinstance(value, yaml.SequenceEndEvent):
                return None
            key = value
        else:
            return None
        if isinstance(value, yaml.AliasEvent):
            return None
        if isinstance(value, yaml.ScalarEvent):
            return at(value)            # a scalar: further steps (if any) are skipped, as node_position does
        best, node = at(key), value
    return best
