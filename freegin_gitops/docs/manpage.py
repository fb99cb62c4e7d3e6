"""The ``freegin-ai(1)`` man page, rendered from the click command tree.

Pure: a click group in, roff text out. Everything a command says about itself (usage, description,
options with their metavars, defaults and help, arguments, the ``Example:`` line) comes from the
CLI, so the page changes when ``--help`` does; the sections no command describes (exit status,
environment, files) are written here. The date in the ``.TH`` line is a parameter, never the clock,
so the same CLI gives the same bytes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import click

from freegin_gitops.core.limits import VARIABLES as LIMIT_VARIABLES
from freegin_gitops.docs import roff

PROGRAM = "freegin-ai"
EXAMPLE_PREFIX = "Example:"

_RECORD = re.compile(r"^(?P<names>-\S+(?:, -\S+)*)(?: (?P<metavar>.+))?$")

EXIT_STATUS: Sequence[tuple[str, str]] = (
    ("0", "Success."),
    (
        "1",
        "The operation found problems or failed: an invalid catalog, no candidate answered, an "
        "unknown provider or model, a stale compiled catalog (compile --check), git or GitHub refused.",
    ),
    ("2", "Bad usage: an unknown command or option, a missing or invalid argument."),
    (
        "3",
        "An internal error: a bug in freegin-ai, not a problem of the catalog or the operation. The "
        "message names the exception; run again with --debug for the traceback, and report it.",
    ),
    ("130", "Interrupted (Ctrl-C)."),
)

ENVIRONMENT: Sequence[tuple[str, str]] = (
    (
        "FREEGIN_REPO",
        "The catalog repository, as --repo. Without either, the git repository around the current "
        "directory if it has catalog/ (or the current folder outside git), else the bundled "
        "starter catalog (read-only).",
    ),
    (
        "FREEGIN_DB",
        "The usage database, as --db: a SQLite file, or a postgresql:// URL that several routers "
        "and gateways share (its password is never shown).",
    ),
    (
        "FREEGIN_CACHE_DIR",
        "Where caches are kept (compiled catalogs, routing views, the validate parse cache, edit "
        "locks). Default: the user cache directory.",
    ),
    *(
        (variable, f"The {what}. A size takes a suffix (512k, 16MiB, 1G); seconds may be fractional.")
        for variable, (_field, _kind, what) in LIMIT_VARIABLES.items()
    ),
    (
        "GITHUB_TOKEN",
        "Token for refresh-models --open-pr (contents: write, pull-requests: write). It is also the "
        "key of the github-models provider.",
    ),
    ("GITHUB_API_URL", "GitHub REST API URL, for GitHub Enterprise. Default: https://api.github.com."),
    (
        "GITHUB_REPOSITORY",
        "The repository pull requests are opened in, as owner/name (set by GitHub Actions). "
        "Default: taken from the origin URL.",
    ),
    (
        "Provider keys",
        "Each provider file names the variable that holds its key in api.api_key_env (HF_TOKEN, "
        "GROQ_API_KEY, GEMINI_API_KEY, ...); a candidate whose variable is unset is skipped. Keys "
        "are sent only in the Authorization header, never logged, stored or printed.",
    ),
    ("CLOUDFLARE_ACCOUNT_ID", "Fills ${CLOUDFLARE_ACCOUNT_ID} in the Cloudflare provider's base URL."),
)

FILES: Sequence[tuple[str, str]] = (
    ("catalog/workloads.yaml", "The workloads (chat, summarisation, code, ...) and their constraints."),
    (
        "catalog/config.yaml",
        "Refresh model and settings, routing policy, per-workload fallback candidates.",
    ),
    (
        "catalog/providers/PROVIDER.yaml",
        "One file per provider: API settings, free-tier limits, models in preference order.",
    ),
    ("catalog/suggestions/PROVIDER.yaml", "Suggested models awaiting review: pending, adopted, rejected."),
    ("schemas/*.schema.json", "JSON Schema (draft 2020-12) of each file kind; see docs/catalog.md."),
    (
        "compiled/catalog.json",
        "The compiled catalog, if the repository keeps one (freegin-ai compile --output "
        "compiled/catalog.json); the router reads it while it matches the catalog's content.",
    ),
    (
        "~/.local/share/freegin-ai/usage.db",
        "The usage database (SQLite) on Linux; the platform's user data directory elsewhere. Moved "
        "by --db or FREEGIN_DB.",
    ),
    (
        "~/.cache/freegin-ai/",
        "Caches on Linux (the platform's user cache directory elsewhere): compiled/ catalogs by "
        "content hash, parsed/ files for validate, locks/ for catalog edits. Moved by "
        "FREEGIN_CACHE_DIR; safe to delete.",
    ),
    (
        ".github/workflows/validate.yml, .github/workflows/refresh.yml",
        "Validate catalog pull requests; refresh weekly and open a pull request.",
    ),
    (".pre-commit-hooks.yaml", "The freegin-validate hook for other repositories' pre-commit configuration."),
)

TOUR: Sequence[str] = (
    "freegin-ai validate",
    "freegin-ai list-models --provider groq --workload code",
    "GROQ_API_KEY=... freegin-ai route --workload code",
    "freegin-ai compile --output compiled/catalog.json",
)

SEE_ALSO = (
    "git(1), pre-commit(1), sqlite3(1). The catalog reference, docs/catalog.md, and the README at "
    "https://github.com/freegin-ai/freegin-ai."
)

_DESCRIPTION = (
    "The catalog is YAML under catalog/ in a git repository, checked by JSON Schemas: which model "
    "serves which workload (chat, summarisation, code, ...) at which provider, in preference "
    "order. refresh-models asks an LLM for better models and proposes them on a branch and pull "
    "request; a person reviews them, and adopt-model, reject-model and retire-model record the "
    "decision. route and ask read the compiled catalog and try its candidates in order, falling "
    "back to the next one when a provider fails; every call is recorded in a usage database "
    "(a SQLite file, or PostgreSQL shared by several routers) whose figures list-models and "
    "refresh-models show.",
    "Errors are one sentence on standard error naming the file, provider or model concerned; "
    "--debug shows the Python traceback instead. Listing commands take --json and then print "
    "JSON only on standard output.",
)


@dataclass(frozen=True)
class Entry:
    """One option or argument as the man page shows it."""

    names: tuple[str, ...]
    metavar: str
    help: str


def render(app: click.Group, *, version: str, date: str) -> str:
    """The man page of ``app`` (the ``freegin-ai`` group) as roff text."""
    root = click.Context(app, info_name=PROGRAM, show_default=True, **app.context_settings)
    commands = [(name, _subcommand(app, root, name)) for name in app.list_commands(root)]
    out = [
        f'.\\" Generated from the {PROGRAM} command line by: python -m freegin_gitops.docs',
        '.\\" Do not edit; change the help texts and regenerate.',
        f".TH {roff.quoted(PROGRAM.upper())} 1 {roff.quoted(date)} {roff.quoted(f'{PROGRAM} {version}')} "
        f"{roff.quoted('User Commands')}",
        ".SH NAME",
        f"{roff.text(PROGRAM)} \\- {roff.text(_name_line(app))}",
        ".SH SYNOPSIS",
        f"{roff.bold(PROGRAM)} [{roff.italic('GLOBAL OPTIONS')}] {roff.italic('COMMAND')} "
        f"[{roff.italic('OPTIONS')}] [{roff.italic('ARGUMENTS')}]",
        ".br",
        f"{roff.bold(PROGRAM)} {roff.bold('--version')}",
        ".br",
        f"{roff.bold(PROGRAM)} [{roff.italic('COMMAND')}] {roff.bold('--help')}",
        ".SH DESCRIPTION",
        *_paragraphs(app.help or ""),
        *(part for p in _DESCRIPTION for part in (".PP", roff.line(p))),
        ".SS Global options",
        "These come before or after the command: "
        + roff.bold(f"{PROGRAM} --repo ~/my-catalog validate")
        + roff.text(", or ")
        + roff.bold(f"{PROGRAM} validate --repo ~/my-catalog")
        + roff.text(" (as a pre-commit hook's args pass them)."),
        *_entries(_options(app, root)),
        ".SH COMMANDS",
    ]
    for name, (command, ctx) in commands:
        out += _command(name, command, ctx)
    out += [".SH EXIT STATUS", *_tagged(EXIT_STATUS, tag=roff.bold)]
    out += [".SH ENVIRONMENT", *_tagged(ENVIRONMENT, tag=roff.bold)]
    out += [".SH FILES", *_tagged(FILES, tag=roff.italic)]
    out += [".SH EXAMPLES", ".PP", "A first look at the bundled starter catalog:", *roff.example(list(TOUR))]
    out += [".PP", "One example from each command's help:"]
    out += roff.example([_example(command) for _, (command, _) in commands if _example(command)])
    out += [".SH SEE ALSO", roff.line(SEE_ALSO)]
    return "\n".join(out) + "\n"


def _subcommand(app: click.Group, root: click.Context, name: str) -> tuple[click.Command, click.Context]:
    command = app.get_command(root, name)
    assert command is not None
    return command, click.Context(command, info_name=name, parent=root, **command.context_settings)


def _name_line(app: click.Group) -> str:
    first = re.split(r"[:.]", _help_text(app), maxsplit=1)[0].strip()
    return first[:1].lower() + first[1:]


def _help_text(command: click.Command) -> str:
    return inspect.cleandoc((command.help or "").split("\f", 1)[0])


def _command(name: str, command: click.Command, ctx: click.Context) -> list[str]:
    usage = " ".join([PROGRAM, name, *command.collect_usage_pieces(ctx)])
    out = [f".SS {roff.quoted(f'{PROGRAM} {name}')}", roff.bold(usage), *_paragraphs(_help_text(command))]
    arguments = [e for e in _params(command, ctx) if not e.names]
    if arguments:
        out += [".PP", "Arguments:", *_entries(arguments)]
    out += [".PP", "Options:", *_entries(_options(command, ctx))]
    return out


def _unmarked(paragraph: str) -> tuple[str, bool]:
    """The paragraph without click's "do not rewrap" marker (a first line of ``\\b``), and whether
    it had one."""
    lines = paragraph.splitlines()
    if lines and lines[0].strip() == "\b":
        return "\n".join(lines[1:]), True
    return paragraph, False


def _paragraphs(help_text: str) -> Iterator[str]:
    for marked in re.split(r"\n\s*\n", inspect.cleandoc(help_text)):
        paragraph, keep_lines = _unmarked(marked)
        lines = paragraph.splitlines()
        if keep_lines and not paragraph.startswith(EXAMPLE_PREFIX):
            yield from (".PP", ".nf", *(roff.line(ln) for ln in lines), ".fi")
        elif paragraph.startswith(EXAMPLE_PREFIX):
            command = " ".join(paragraph[len(EXAMPLE_PREFIX) :].split())
            yield from (".PP", "Example:", *roff.example([command]))
        elif paragraph.strip():
            yield from (".PP", roff.line(" ".join(ln.strip() for ln in lines)))


def _example(command: click.Command) -> str:
    for marked in re.split(r"\n\s*\n", _help_text(command)):
        paragraph, _ = _unmarked(marked)
        if paragraph.startswith(EXAMPLE_PREFIX):
            return " ".join(paragraph[len(EXAMPLE_PREFIX) :].split())
    return ""


def _params(command: click.Command, ctx: click.Context) -> list[Entry]:
    entries = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if isinstance(param, click.Argument):
            entries.append(Entry((), record[0] if record else param.human_readable_name, _argument(param)))
        elif record is not None:
            entries.append(_option_entry(*record))
    return entries


def _options(command: click.Command, ctx: click.Context) -> list[Entry]:
    return [e for e in _params(command, ctx) if e.names]


def _argument(param: click.Argument) -> str:
    if param.nargs == -1:
        return "Optional; any number." if not param.required else "Required; one or more."
    return "Required." if param.required else "Optional."


def _option_entry(names: str, help_text: str) -> Entry:
    """Split click's help record (``-w, --workload W / --no-x``, help) into names and metavar."""
    found: list[str] = []
    metavar = ""
    for group in names.split(" / "):
        match = _RECORD.match(group)
        if match is None:
            raise ValueError(f"unexpected option record {names!r}")
        found += match["names"].split(", ")
        metavar = metavar or (match["metavar"] or "")
    return Entry(tuple(found), metavar, " ".join(help_text.split()))


def _entries(entries: Sequence[Entry]) -> list[str]:
    out = []
    for entry in entries:
        if entry.names:
            term = ", ".join(roff.bold(n) for n in entry.names)
            term += f" {roff.italic(entry.metavar)}" if entry.metavar else ""
        else:
            term = roff.italic(entry.metavar)
        out += [".TP", term, roff.line(entry.help)]
    return out


def _tagged(rows: Sequence[tuple[str, str]], *, tag: Callable[[str], str]) -> list[str]:
    out = []
    for name, description in rows:
        out += [".TP", tag(name), roff.line(description)]
    return out
