"""Mutation testing: change one thing in a module, run the tests that should notice, repeat.

    .venv/bin/python benchmarks/mutate.py                      # every target below
    .venv/bin/python benchmarks/mutate.py freegin_gitops/core/route_plan.py --show survived
    .venv/bin/python benchmarks/mutate.py --list freegin_gitops/core/layout.py

A mutant is one small change made with Python's ``ast``: a comparison or boolean operator
swapped, ``not`` dropped, a condition negated, a number moved by one, ``True``/``False`` swapped,
a string emptied, a ``return`` made to return None, a call statement or an ``append`` removed, an
augmented assignment reversed. Only code that runs is mutated (function bodies, and module- and
class-level assignments), never docstrings, annotations, ``assert``s or ``TYPE_CHECKING`` blocks.

Each mutant runs in a child forked from a process that has already imported pytest and the
package: the child swaps the mutated functions' code objects into the loaded module (and rebinds
changed constants), runs the module's tests with ``pytest -x``, and reports. A mutant is killed
when a test fails (or errors, or runs past ``--timeout``), and survives when every test passes.
The same module and tests always give the same mutants, in the same order.

Mutants that cannot change behaviour (equivalent mutants) are listed, with the reason, in
``benchmarks/mutation_equivalents.txt`` as ``path:line: description  # why``; they are left out
of the score, which is killed / (mutants - equivalent).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "benchmarks" / "mutation_equivalents.txt"

CORE_TESTS = {
    "answers": ["tests/unit/core/test_answers.py", "tests/unit/core/test_answers_text.py"],
    "build": [
        "tests/unit/core/test_build.py",
        "tests/unit/core/test_compiled_document.py",
        "tests/unit/core/test_listing.py",
    ],
    "compiled_catalog": [
        "tests/unit/core/test_compiled_catalog.py",
        "tests/unit/core/test_routing.py",
        "tests/unit/core/test_route_plan.py",
    ],
    "catalog": ["tests/unit/core/test_catalog.py"],
    "content": ["tests/unit/core/test_content.py", "tests/unit/services/catalog/test_loading.py"],
    "limit_rules": ["tests/unit/core/test_limit_rules.py", "tests/unit/core/test_rules.py"],
    "naming": ["tests/unit/core/test_naming.py", "tests/unit/core/test_rules.py"],
    "problems": ["tests/unit/core/test_problems.py", "tests/unit/core/test_reporting.py"],
    "rate_limit_reply": [
        "tests/unit/core/test_rate_limit_reply.py",
        "tests/unit/core/test_rate_limit_reply_bounds.py",
    ],
    "redact": ["tests/unit/core/test_redact.py", "tests/unit/core/test_redact_edges.py"],
    "refresh_model": [
        "tests/unit/core/test_pr_body.py",
        "tests/unit/core/test_refresh_merge.py",
        "tests/unit/core/test_refresh_text.py",
    ],
    "pr_body": ["tests/unit/core/test_pr_body.py", "tests/unit/core/test_pr_body_fit.py"],
    "pr_limits": [
        "tests/unit/core/test_pr_limits.py",
        "tests/unit/core/test_pr_body.py",
        "tests/unit/core/test_pr_body_fit.py",
    ],
    "pr_sections": [
        "tests/unit/core/test_pr_sections.py",
        "tests/unit/core/test_pr_body.py",
        "tests/unit/core/test_pr_body_fit.py",
    ],
    "pr_markdown": ["tests/unit/core/test_pr_markdown.py", "tests/unit/core/test_pr_body.py"],
    "usage": ["tests/unit/core/test_usage.py", "tests/unit/core/test_listing.py"],
}
TARGETS: dict[str, list[str]] = {
    "freegin_gitops/services/catalog/repo.py": ["tests/cli/test_repo.py", "tests/cli/test_validate.py"],
    "freegin_gitops/adapters/tool_source.py": ["tests/unit/adapters/test_tool_source.py"],
    "freegin_gitops/adapters/upstream_link.py": [
        "tests/unit/adapters/test_upstream_http.py",
        "tests/unit/adapters/test_upstream_link.py",
    ],
    "freegin_gitops/services/init/starter.py": ["tests/cli/test_init.py"],
    "freegin_gitops/services/routing/router.py": ["tests/unit/services/routing/test_router.py"],
    "freegin_gitops/services/routing/session.py": ["tests/unit/services/routing/test_session.py"],
    "freegin_gitops/services/routing/usage_stats.py": [
        "tests/unit/services/routing/test_usage_stats.py",
        "tests/unit/adapters/test_usage_store_contract.py",
    ],
    "freegin_gitops/adapters/usage_db.py": [
        "tests/unit/adapters/test_usage_db.py",
        "tests/unit/adapters/test_usage_db_failures.py",
        "tests/unit/adapters/test_usage_db_edges.py",
        "tests/unit/adapters/test_usage_store_contract.py",
    ],
    "freegin_gitops/adapters/usage_schema.py": [
        "tests/unit/adapters/test_usage_db.py",
        "tests/unit/adapters/test_usage_schema.py",
        "tests/unit/adapters/test_usage_store_contract.py",
    ],
    "freegin_gitops/adapters/usage_pg.py": [
        "tests/unit/adapters/test_usage_pg.py",
        "tests/unit/adapters/test_usage_pg_sessions.py",
        "tests/unit/adapters/test_usage_pg_upkeep.py",
        "tests/unit/adapters/test_usage_store_contract.py",
    ],
    "freegin_gitops/adapters/usage_pg_schema.py": [
        "tests/unit/adapters/test_usage_pg.py",
        "tests/unit/adapters/test_usage_pg_upkeep.py",
        "tests/unit/adapters/test_usage_store_contract.py",
    ],
    "freegin_gitops/adapters/yaml_edit.py": [
        "tests/unit/adapters/test_yaml_edit.py",
        "tests/unit/adapters/test_yaml_nodes.py",
    ],
    "freegin_gitops/adapters/yaml_nodes.py": [
        "tests/unit/adapters/test_yaml_nodes.py",
        "tests/unit/adapters/test_yaml_edit.py",
    ],
    "freegin_gitops/adapters/yaml_locate.py": [
        "tests/unit/adapters/test_yaml_locate.py",
        "tests/unit/adapters/test_yaml_edit.py",
    ],
    "freegin_gitops/adapters/yaml_read.py": [
        "tests/unit/adapters/test_yaml_read.py",
        "tests/unit/adapters/test_yaml_read_edges.py",
        "tests/unit/adapters/test_yaml_edit.py",
    ],
}


def tests_for(path: str) -> list[str]:
    """The tests that should notice a change to the module at ``path`` (those that exist)."""
    return [t for t in _named_tests(path) if (ROOT / t).exists()]


def _named_tests(path: str) -> list[str]:
    if path in TARGETS:
        return TARGETS[path]
    stem = Path(path).stem
    if path.startswith("freegin_gitops/core/"):
        if stem in CORE_TESTS:
            return CORE_TESTS[stem]
        mirrored = f"tests/unit/core/test_{stem}.py"
        return [mirrored] if (ROOT / mirrored).exists() else []
    return []


def default_targets() -> list[str]:
    core = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "freegin_gitops" / "core").glob("*.py")
        if p.name != "__init__.py"
    )
    return [*core, *TARGETS]


# -- making mutants -------------------------------------------------------------------------------
_COMPARE_SWAPS: dict[type, type] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


@dataclass(frozen=True)
class Mutant:
    path: str
    index: int
    line: int
    description: str
    end_line: int = 0

    @property
    def key(self) -> str:
        return f"{self.path}:{self.line}: {self.description}"


def _skipped_regions(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, asserts, TYPE_CHECKING blocks,
    decorators and class bases."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                mark(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for decorator in node.decorator_list:
                mark(decorator)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                mark(arg.annotation)
            for arg in (node.args.vararg, node.args.kwarg):
                if arg is not None:
                    mark(arg.annotation)
        elif isinstance(node, ast.ClassDef):
            for item in [*node.decorator_list, *node.bases, *node.keywords]:
                mark(item)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        elif (
            isinstance(node, (ast.Assert, ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
            or (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            )
        ):
            mark(node)
    return skip


def _sites(tree: ast.Module, strings: bool = False) -> Iterator[tuple[ast.AST, str, str]]:
    """(node, kind, description) for every mutation, in a fixed order."""
    skip = _skipped_regions(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAPS:
                    new = _COMPARE_SWAPS[type(op)].__name__
                    yield node, f"compare:{i}", f"{type(op).__name__} -> {new}"
        elif isinstance(node, ast.BoolOp):
            yield (
                node,
                "boolop",
                f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}",
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "drop-not", "not x -> x"
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
            yield node, "binop", f"{type(node.op).__name__} -> {_BINOP_SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP_SWAPS:
            yield node, "augassign", f"{type(node.op).__name__}= -> {_BINOP_SWAPS[type(node.op)].__name__}="
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                yield node, "const", f"{value} -> {not value}"
            elif isinstance(value, (int, float)):
                yield node, "const", f"{value!r} -> {value + 1!r}"
            elif isinstance(value, str) and value and strings:
                yield node, "const", f"{value[:30]!r} -> ''"
        elif isinstance(node, (ast.If, ast.While)):
            yield node, "negate", "condition -> not condition"
        elif isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                yield node, "return-none", "return x -> return None"
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield node, "drop-call", f"drop {ast.unparse(node.value.func)[:40]}(...)"


def _apply(node: ast.AST, kind: str) -> None:
    if kind.startswith("compare:"):
        assert isinstance(node, ast.Compare)
        i = int(kind.split(":")[1])
        node.ops[i] = _COMPARE_SWAPS[type(node.ops[i])]()
    elif kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind in ("binop", "augassign"):
        assert isinstance(node, (ast.BinOp, ast.AugAssign))
        node.op = _BINOP_SWAPS[type(node.op)]()
    elif kind == "const":
        assert isinstance(node, ast.Constant)
        value = node.value
        node.value = (
            (not value) if isinstance(value, bool) else (value + 1 if not isinstance(value, str) else "")
        )
    elif kind == "negate":
        assert isinstance(node, (ast.If, ast.While))
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif kind == "return-none":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(value=None)
    elif kind == "drop-call":
        assert isinstance(node, ast.Expr)
        node.value = ast.Constant(value=None)


def _drop_not(tree: ast.Module, target: ast.AST) -> ast.Module:
    class Dropper(ast.NodeTransformer):
        def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
            if node is target:
                return self.visit(node.operand)
            return self.generic_visit(node)

    return ast.fix_missing_locations(Dropper().visit(tree))


def mutants(path: str, strings: bool = False) -> list[Mutant]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [
        Mutant(path, i, getattr(node, "lineno", 0), description, getattr(node, "end_lineno", 0) or 0)
        for i, (node, _kind, description) in enumerate(_sites(tree, strings))
    ]


def baseline_source(path: str) -> str:
    return ast.unparse(ast.parse((ROOT / path).read_text(encoding="utf-8")))


def mutated_source(mutant: Mutant, strings: bool = False) -> str:
    tree = ast.parse((ROOT / mutant.path).read_text(encoding="utf-8"))
    for i, (node, kind, _description) in enumerate(list(_sites(tree, strings))):
        if i == mutant.index:
            if kind == "drop-not":
                tree = _drop_not(tree, node)
            else:
                _apply(node, kind)
            break
    return ast.unparse(ast.fix_missing_locations(tree))


# -- putting a mutant into the loaded module ----------------------------------------------------
def _functions(namespace: dict[str, Any], module_name: str) -> dict[str, FunctionType]:
    """Every function defined in a module namespace, by qualified name (methods, properties,
    cached properties, static and class methods included)."""
    found: dict[str, FunctionType] = {}

    def add(value: Any) -> None:
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            for part in (value.fget, value.fset, value.fdel):
                add(part)
            return
        func = getattr(value, "func", None)  # functools.cached_property
        if func is not None and not isinstance(value, FunctionType):
            add(func)
            return
        wrapped = getattr(value, "__wrapped__", None)  # @contextlib.contextmanager, functools.wraps
        if isinstance(value, FunctionType) and isinstance(wrapped, FunctionType):
            add(wrapped)  # the module's own code is the wrapped function's, not the wrapper's
            if value.__code__.co_filename == wrapped.__code__.co_filename:  # a wrapper of its own
                found.setdefault(value.__qualname__ + "#wrapper", value)
            return
        if isinstance(value, FunctionType) and value.__module__ == module_name:
            found.setdefault(value.__qualname__, value)

    def visit_class(cls: type, seen: set[int]) -> None:
        if id(cls) in seen or cls.__module__ != module_name:
            return
        seen.add(id(cls))
        for value in vars(cls).values():
            if isinstance(value, type):
                visit_class(value, seen)
            else:
                add(value)

    seen: set[int] = set()
    for value in namespace.values():
        if isinstance(value, type):
            visit_class(value, seen)
        else:
            add(value)
    return found


def _namespace(module: ModuleType, source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": module.__name__, "__file__": module.__file__}
    if module.__spec__ is not None:
        namespace["__package__"] = module.__spec__.parent
    exec(compile(source, str(module.__file__), "exec"), namespace)
    return namespace


def install(module: ModuleType, baseline: str, source: str) -> bool:
    """Put ``source`` (the module mutated) into the loaded ``module``, comparing it with
    ``baseline`` (the same module unparsed without the mutation, so that only what the mutation
    changed differs); False if the change is where this cannot reach (the mutant is not run)."""
    before = _namespace(module, baseline)
    after = _namespace(module, source)
    old = _functions(vars(module), module.__name__)
    base = _functions(before, module.__name__)
    new = _functions(after, module.__name__)
    changed = False
    for name, func in old.items():
        replacement, original = new.get(name), base.get(name)
        if replacement is None or original is None:
            continue
        if (
            replacement.__code__ != original.__code__
            or replacement.__defaults__ != original.__defaults__
            or replacement.__kwdefaults__ != original.__kwdefaults__
        ):
            try:
                func.__code__ = replacement.__code__
            except ValueError:  # a different closure: cannot be swapped in place
                return False
            func.__defaults__ = replacement.__defaults__
            func.__kwdefaults__ = replacement.__kwdefaults__
            changed = True
    for name, value in after.items():
        if name.startswith("__"):
            continue
        if isinstance(value, type) and isinstance(before.get(name), type):
            current = vars(module).get(name)
            if isinstance(current, type):
                changed |= _rebind_class_constants(current, before[name], value)
            continue
        if not isinstance(value, _PLAIN) or not _data(value):  # functions, classes, modules, aliases
            continue
        if not _same(before.get(name), value):
            setattr(module, name, value)
            changed = True
    return changed


def _rebind_class_constants(current: type, before: type, new: type) -> bool:
    changed = False
    for name, value in vars(new).items():
        if name.startswith("__") or not isinstance(value, _PLAIN) or not _data(value):
            continue  # slots, properties, methods, registries of functions
        if not _same(vars(before).get(name), value):
            setattr(current, name, value)
            changed = True
    return changed


_PLAIN = (int, float, str, bytes, tuple, frozenset, dict, list, type(None), re.Pattern)


def _data(value: Any) -> bool:
    """Whether ``value`` is plain data all through (no function or class inside): only then is a
    changed value rebound. A registry of functions (ruamel's ``yaml_constructors``, filled by
    ``add_constructor`` in the class body) differs between any two runs of the module, since its
    functions are new objects each time; rebinding it would put the other run's functions (and
    their globals, their classes) into the loaded module."""
    if isinstance(value, (dict,)):
        return all(_data(k) and _data(v) for k, v in value.items())
    if isinstance(value, (tuple, list, frozenset)):
        return all(_data(v) for v in value)
    return isinstance(value, (int, float, str, bytes, type(None), re.Pattern))


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(type(a) is type(b) and a == b)
    except Exception:
        return False


# -- which tests run which lines ----------------------------------------------------------------
class _LineCoverage:
    """A pytest plugin recording, per test (setup, call and teardown), the lines of one file run."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.current: str | None = None
        self.lines: dict[str, set[int]] = {}

    def _local(self, frame: Any, event: str, _arg: Any) -> Any:
        if event == "line" and self.current is not None:
            self.lines.setdefault(self.current, set()).add(frame.f_lineno)
        return self._local

    def _global(self, frame: Any, _event: str, _arg: Any) -> Any:
        if frame.f_code.co_filename == self.filename:
            if self.current is not None:
                self.lines.setdefault(self.current, set()).add(frame.f_lineno)
            return self._local
        return None

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        self.current = item.nodeid
        sys.settrace(self._global)
        threading.settrace(self._global)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        self.current = None


def coverage(module: ModuleType, tests: list[str]) -> dict[str, set[int]]:
    """Which lines of ``module`` each test runs (in a forked child, so that nothing of the run
    stays behind); empty if the tests do not pass unmutated."""
    import json
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    pid = os.fork()
    if pid == 0:
        import pytest

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        plugin = _LineCoverage(str(module.__file__))
        code = pytest.main(["-q", "-p", "no:cacheprovider", *tests], plugins=[plugin])
        out.write_text(json.dumps({k: sorted(v) for k, v in plugin.lines.items()}))
        os._exit(int(code))
    _, status = os.waitpid(pid, 0)
    found = json.loads(out.read_text() or "{}")
    out.unlink(missing_ok=True)
    if os.waitstatus_to_exitcode(status) != 0:
        return {}
    return {test: set(lines) for test, lines in found.items()}


def tests_covering(mutant: Mutant, lines: dict[str, set[int]], tests: list[str]) -> list[str]:
    """The tests that run the mutated lines; all of ``tests`` when none does (module-level code
    runs at import, before any test)."""
    span = set(range(mutant.line, max(mutant.line, mutant.end_line) + 1))
    covering = [test for test, ran in lines.items() if ran & span]
    return covering or tests


# -- running ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, timeout, not-run


def _child(mutant: Mutant, tests: list[str], strings: bool) -> None:
    import pytest

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    module = sys.modules[mutant.path.removesuffix(".py").replace("/", ".")]
    baseline = baseline_source(mutant.path)
    if mutant.index < 0:  # the check of the setup: the unparsed module, unchanged, must pass
        install(module, baseline, baseline)
        os._exit(99 if pytest.main(["-q", "-p", "no:cacheprovider", *tests]) == 0 else 1)
    if not install(module, baseline, mutated_source(mutant, strings)):
        os._exit(99)
    code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests])
    os._exit(int(code))


def run(
    targets: list[Mutant],
    tests_of: Any,
    jobs: int,
    timeout_s: float,
    strings: bool = False,
) -> list[Outcome]:
    """Run every mutant (``tests_of(mutant)``: the tests to run for it), ``jobs`` at a time."""
    queue = list(targets)
    running: dict[int, tuple[Mutant, float]] = {}
    done: list[Outcome] = []
    while queue or running:
        while queue and len(running) < jobs:
            mutant = queue.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    _child(mutant, tests_of(mutant), strings)
                finally:
                    os._exit(98)
            running[pid] = (mutant, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (mutant, started) in list(running.items()):
                if time.monotonic() - started > timeout_s:
                    os.kill(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    del running[child]
                    done.append(Outcome(mutant, "timeout"))
            time.sleep(0.02)
            continue
        mutant, _started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        done.append(Outcome(mutant, "survived" if code == 0 else "not-run" if code in (98, 99) else "killed"))
    return sorted(done, key=lambda o: o.mutant.index)


def equivalents() -> dict[str, str]:
    found: dict[str, str] = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, why = line.partition("  # ")
                found[key.strip()] = why.strip()
    return found


def _keys_in(text: str) -> list[str]:
    """The mutant keys in ``text``: lines of ``--list``, or of ``--show`` (``survived  key``)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        for status in ("survived", "killed", "timeout", "not-run"):
            if line.startswith(status + " "):
                line = line.removeprefix(status).strip()
        if line.startswith("freegin_gitops/"):
            found.append(line)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", help="modules to mutate (default: core/, router, usage store, YAML editor)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant")
    parser.add_argument("--show", choices=["survived", "all", "none"], default="survived")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--strings", action="store_true", help="also empty string constants (messages)")
    parser.add_argument(
        "--only",
        type=Path,
        metavar="FILE",
        help="run only the mutants named in FILE (lines as --show prints them: a rerun of survivors)",
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import pytest  # noqa: F401 - imported once here, so that every forked child has it

    known = equivalents()
    totals: list[tuple[str, int, int, int, int]] = []
    for path in args.paths or default_targets():
        found = mutants(path, args.strings)
        if args.only is not None:
            wanted = set(_keys_in(args.only.read_text(encoding="utf-8")))
            found = [m for m in found if m.key in wanted]
        if args.list:
            for m in found:
                print(m.key)
            continue
        tests = tests_for(path)
        if not tests:
            print(f"{path}: no tests named for it; skipped")
            continue
        importlib.import_module(path.removesuffix(".py").replace("/", "."))
        [unmutated] = run([Mutant(path, -1, 0, "no mutation")], lambda _m, t=tests: t, 1, args.timeout)
        if unmutated.status != "not-run":  # the baseline swaps nothing in: "not run" is right
            print(f"{path}: the tests do not pass without a mutation ({unmutated.status}); skipped")
            continue
        module = sys.modules[path.removesuffix(".py").replace("/", ".")]
        lines = coverage(module, tests)
        outcomes = run(
            found, lambda m, c=lines, t=tests: tests_covering(m, c, t), args.jobs, args.timeout, args.strings
        )
        equivalent = [o for o in outcomes if o.status == "survived" and o.mutant.key in known]
        survived = [o for o in outcomes if o.status == "survived" and o.mutant.key not in known]
        killed = [o for o in outcomes if o.status in ("killed", "timeout")]
        not_run = [o for o in outcomes if o.status == "not-run"]
        counted = len(killed) + len(survived)
        score = len(killed) / counted if counted else 1.0
        totals.append((path, len(outcomes), len(killed), len(survived), len(equivalent)))
        print(
            f"{path}: {len(outcomes)} mutants, {len(killed)} killed, {len(survived)} survived, "
            f"{len(equivalent)} equivalent, {len(not_run)} not run: score {score:.0%}",
            flush=True,
        )
        shown = outcomes if args.show == "all" else survived if args.show == "survived" else []
        for o in shown:
            print(f"    {o.status:8s} {o.mutant.key}", flush=True)
    if totals:
        killed = sum(t[2] for t in totals)
        counted = killed + sum(t[3] for t in totals)
        print(f"total: {sum(t[1] for t in totals)} mutants, score {killed / counted if counted else 1:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
