"""Helpers the commands share: the date type, one-line usage errors, writing reports, setting up a run."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import click

from kpi_policies.i18n import N_

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class IsoDate(click.ParamType):
    """A calendar date written ``YYYY-MM-DD``."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


def fail(message: str) -> None:
    """Print one line on standard error and exit 2 (a usage or configuration error)."""
    click.echo(f"kpi-policies: {message}", err=True)
    sys.exit(EXIT_USAGE)


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output`` atomically (creating its folder), or to standard output when ``None`` or ``-``."""
    from kpi_policies.outputs import OutputError, write_atomic

    if not output or output == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomic(output, text)
    except OutputError as exc:
        fail(str(exc))


def guard_outputs(outputs, settings=None, files=(), engine=None, baseline=None, inputs=()) -> None:
    """Exit 2 with one line when an output (``(option, path)`` pairs) is an input of the run or another output.

    The inputs are the files checked, the policy packs, the baseline read, the
    project configuration and any ``inputs`` given.
    """
    from kpi_policies.outputs import OutputError, check_outputs

    read = list(files) + list(inputs)
    if engine is not None:
        read += list(engine.policy.sources)
    if baseline is not None:
        read.append(baseline.path)
    if settings is not None and settings.config_file:
        read.append(settings.config_file)
    try:
        check_outputs(outputs, read)
    except OutputError as exc:
        fail(str(exc))


@dataclass
class RunSetup:
    """Everything a run needs, as ``check`` and ``report`` set it up.

    Attributes:
        settings: The project configuration (:class:`kpi_policies.settings.Settings`).
        files: The files to check, discovered from the command line or the configuration.
        engine: The engine, with the policy resolved.
        baseline: The baseline whose entries waive known findings, or ``None``.
    """

    settings: Any
    files: list[str]
    engine: Any
    baseline: Any = None
    targets: list[str] | None = None


def absolute(path: str | None) -> str | None:
    """``path`` made absolute against the folder the command started in (``-`` and ``None`` kept)."""
    return path if path in (None, "-") else os.path.abspath(path)


def _repository_of(paths, settings) -> str:
    """The repository a run is about.

    The configured one (the git repository or configuration file of the
    starting folder) when it holds the first path; else the git repository of
    the first path; else the starting folder's.
    """
    from kpi_policies.index import repository_root

    root = os.path.realpath(settings.root)
    if not paths:
        return root
    first = os.path.realpath(paths[0])
    known = settings.config_file or os.path.exists(os.path.join(root, ".git"))
    if known and (first == root or first.startswith(root.rstrip(os.sep) + os.sep)):
        return root
    other = repository_root(first)
    return other if os.path.exists(os.path.join(other, ".git")) else root


def _from_root(path: str, root: str) -> str:
    """A path given relative to the starting folder, as seen from ``root`` (relative when inside it).

    Links keep their own names: a link inside the repository to a file or folder outside is reported
    where it is (and never read), so only the starting folder is resolved when the repository is
    reached through a link.
    """
    absolute = os.path.abspath(path)
    for full in (absolute, os.path.join(os.path.realpath(os.getcwd()), os.path.relpath(absolute))):
        rel = os.path.relpath(full, root)
        if rel != ".." and not rel.startswith(".." + os.sep):
            return os.path.normpath(rel)
    return absolute


def prepare_run(paths, as_of, policy_path, baseline_path, ignore_suppressions: bool = False, use_baseline: bool = True) -> RunSetup:
    """Settings, files, engine and baseline of a run, as ``check`` and ``report`` set them up.

    Command-line values win over the project configuration. The run happens
    at the root of the repository the paths are in (the working folder moves
    there), and every file is named relative to that root, so results,
    baselines and report paths are the same whatever folder the command was
    started from. Give output files to :func:`absolute` before calling this.
    Any problem is a one-line usage error (exit 2).
    """
    from kpi_policies.baseline import Baseline, BaselineError
    from kpi_policies.discover import DiscoveryError, discover
    from kpi_policies.engine import Engine
    from kpi_policies.policy import BUILTIN_PACKS, PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        root = _repository_of(paths, settings)
        here = os.getcwd()  # the configuration's paths are relative to the folder it was loaded for
        if root != os.path.realpath(settings.root):
            settings, here = load_settings(root), root
        configured = lambda p: _from_root(os.path.join(here, p), root)
        targets = [_from_root(p, root) for p in paths] or [configured(p) for p in settings.paths or []]
        if policy_path and policy_path not in BUILTIN_PACKS:
            policy_path = _from_root(policy_path, root)
            if policy_path in BUILTIN_PACKS:  # ./strict names a file; the bare name would be the built-in pack
                policy_path = os.path.join(".", policy_path)
        elif not policy_path and settings.policy and settings.policy not in BUILTIN_PACKS:
            policy_path = configured(settings.policy)
        if baseline_path:
            baseline_file = _from_root(baseline_path, root)
        else:
            baseline_file = configured(settings.baseline) if use_baseline and settings.baseline else None
        os.chdir(root)
        settings.root = root
        if not targets:
            if not os.path.isdir("plans"):
                raise DiscoveryError(f"no plans/ folder in the repository {root}; name the plan files or folders to check")
            targets = ["plans"]
        files = discover(targets, exclude=settings.exclude, root=root, confine=not paths)
        engine = Engine(load_policy(policy_path or settings.policy), as_of or dt.date.today(),
                        ignore_suppressions=ignore_suppressions)
        baseline = Baseline.read(baseline_file) if baseline_file and not ignore_suppressions else None
    except (DiscoveryError, PolicyError, ConfigError, BaselineError) as exc:
        fail(str(exc))
    return RunSetup(settings, files, engine, baseline, targets)


#: ``--fail-on`` choices -> the lowest severity rank that makes the exit code 1.
FAIL_ON = {"error": 2, "warning": 1, "info": 0, "never": None}


def pair_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair each ``--format`` with the ``--output`` given in the same position.

    Formats without an output of their own, or with ``-``, go to standard output; only one may.

    Raises:
        click.UsageError: when there are more outputs than formats, or two formats want standard output.
    """
    formats = formats or ("text",)
    if len(outputs) > len(formats):
        raise click.UsageError(f"{len(outputs)} --output given for {len(formats)} --format; give one --format per --output")
    pairs = [(fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    if sum(1 for _, out in pairs if out in (None, "-")) > 1:
        raise click.UsageError("only one --format can go to standard output; give the others an --output FILE")
    for fmt, out in pairs:
        wanted = OUTPUT_EXTENSIONS.get(os.path.splitext(out or "")[1].lower())
        if wanted and fmt not in wanted:
            raise click.UsageError(f"--output {out} goes with --format {fmt} (each --output pairs with the --format in the "
                                   f"same position); write --format {wanted[0]} --output {out}")
    return pairs


#: Output file extensions that say which format they hold (a mismatch is a usage error, never a silent swap).
OUTPUT_EXTENSIONS = {".sarif": ("sarif",), ".xml": ("junit",), ".md": ("markdown",), ".json": ("json", "sarif")}


def choose_language(ctx: click.Context, _param, cli_lang: str | None) -> str:
    """``--lang`` callback: activate the language of this run and translate the commands' help.

    ``--lang``, else the configuration's ``lang``, else the locale. Help texts
    with a translation in the catalog are shown translated (click's own texts
    follow gettext).
    """
    from kpi_policies import i18n

    config_lang, source = None, "--lang"
    if not cli_lang:
        from kpi_policies.settings import ConfigError, load_settings

        try:
            settings = load_settings()
            config_lang, source = settings.lang, settings.sources.get("lang")
        except (ConfigError, OSError):
            pass  # the command reports a broken configuration itself
        if not config_lang:
            source = "the environment (KPI_POLICIES_LANG or the locale)" if i18n.from_environment() else "default"
    previous = i18n.language()
    lang = i18n.set_language(i18n.resolve(cli_lang, config_lang))
    root = ctx.find_root()
    root.meta["kpi_policies.lang_source"] = source
    root.call_on_close(lambda: i18n.set_language(previous))  # a run inside a longer process leaves its language as it was
    translate_help(ctx.find_root().command)
    return lang


def translate_help(command: click.Command) -> None:
    """Show the help texts of ``command`` and its subcommands in the active language (English kept aside)."""
    from kpi_policies.i18n import _

    for obj in [command, *command.params]:
        for attr in ("help", "short_help"):
            original = getattr(obj, f"_kpi_{attr}", getattr(obj, attr, None))
            if original:
                setattr(obj, f"_kpi_{attr}", original)
                setattr(obj, attr, _(original))
    if getattr(command, "_help_option", None) is not None:  # click caches --help with the text of the language it was made in
        command._help_option.help = _("Show this message and exit.")
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)


#: click's own texts that kpi-policies translates (click looks them up with gettext; see use_catalog_for_click).
CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."), N_("Show the version and exit."),
    N_("default: {default}"), N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}"), N_("Missing argument"),
    N_("Missing option"), N_("Missing command."), N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("{value!r} is not one of {choices}."), N_("{value!r} is not {choice}."),
)


def use_catalog_for_click() -> None:
    """Let click's own texts (``Usage:``, ``Options``...) follow the active language.

    click translates them with the standard library's ``gettext``, whose
    catalog kpi-policies does not own; its modules' ``_`` is pointed at
    :func:`kpi_policies.i18n._` instead, which returns the text itself in
    English (so English help is unchanged).
    """
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.types

    from kpi_policies.i18n import _

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.types):
        if callable(getattr(module, "_", None)):
            module._ = _


use_catalog_for_click()
