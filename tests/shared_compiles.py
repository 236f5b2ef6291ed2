"""What every app of a test process compiles the same way, compiled once per process (tests/conftest.py applies it).

Per-test app creation is most of a short test's time: each of some 2,000 tests per pass gets its own app, so the
apps share their compiled templates, the parsed form of each URL rule and its URL builders. Each test still gets its
own app, database and files; these are pure functions of the text they compile."""

from __future__ import annotations

from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule


class SharedBytecodeCache(BytecodeCache):
    """Every app of a test process compiles the same templates: keep the compiled code in memory once (Jinja still
    compares each template's source checksum, so an edited template is compiled again)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


def share_compiled_routes() -> None:
    """Werkzeug compiles two URL builders (Python source, then bytes) for each of the ~1,150 rules of every new app:
    0.2 s of the 0.25 s that create_app costs, for each of some 2,000 tests. A builder is a pure function of the
    rule (its text, the defaults it fills, whether unknown values are appended), so a test process compiles it once;
    each app binds it to its own Rule as before."""
    if not hasattr(Rule, "_compile_builder"):  # another Werkzeug: compile as it does
        return
    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def once(self, append_unknown: bool = True):
        key = (self.rule, self.subdomain, self.host, repr(self._trace), repr(sorted((self.defaults or {}).items())),
               append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = once


def share_parsed_rules() -> None:
    """Binding a rule to an app's map parses its text into the matcher's parts (regular expressions and weights) and
    looks its converters up: half of what add_url_rule costs, for every rule of every app. The parts are a pure
    function of the text, the host or subdomain part, slash merging and the map's converter classes, so a test
    process parses each rule once; every rule still gets converters of its own map (the calls are replayed), and the
    builders are made as compile makes them."""
    if not all(hasattr(Rule, name) for name in ("compile", "get_converter", "_parse_rule", "_compile_builder")):
        return  # another Werkzeug: parse as it does
    compile_rule = Rule.compile
    parsed: dict[tuple, tuple] = {}

    def once(self) -> None:
        routes = self.map
        domain = (self.host if routes.host_matching else self.subdomain) or ""
        key = (self.rule, domain, routes.host_matching, bool(self.merge_slashes),
               tuple(sorted(routes.converters.items(), key=lambda item: item[0])))
        known = parsed.get(key)
        if known is None:
            calls: list[tuple] = []
            look_up = self.get_converter

            def recorded(variable_name, converter_name, args, kwargs):
                calls.append((variable_name, converter_name, args, kwargs))
                return look_up(variable_name, converter_name, args, kwargs)

            self.get_converter = recorded
            try:
                compile_rule(self)
            finally:
                del self.get_converter
            parsed[key] = (tuple(self._parts), tuple(self._trace), tuple(calls))
            return
        parts, trace, calls = known
        self._parts, self._trace = list(parts), list(trace)
        self._converters = {variable: self.get_converter(variable, name, args, kwargs)
                            for variable, name, args, kwargs in calls}
        self.arguments.update(variable for variable, *_rest in calls)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    Rule.compile = once
