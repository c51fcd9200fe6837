"""Helpers the commands share: the date type, one-line usage errors, writing reports, setting up a run."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

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
    """Write ``text`` to the file ``output`` (creating its folder), or to standard output when ``None``."""
    if not output:
        click.echo(text, nl=False)
        return
    try:
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        with open(output, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


def prepare_run(paths, as_of, policy_path, baseline_path, ignore_suppressions: bool = False, use_baseline: bool = True):
    """Settings, files, engine and baseline of a run, as ``check`` and ``report`` set them up.

    Command-line values win over the project configuration. Any problem is a
    one-line usage error (exit 2).

    Returns:
        ``(settings, files, engine, baseline or None)``.
    """
    from kpi_policies.baseline import Baseline, BaselineError
    from kpi_policies.discover import DiscoveryError, default_paths, discover
    from kpi_policies.engine import Engine
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        targets = list(paths) or settings.paths or default_paths()
        files = discover(targets, exclude=settings.exclude, root=settings.root)
        engine = Engine(load_policy(policy_path or settings.policy), as_of or dt.date.today(),
                        ignore_suppressions=ignore_suppressions)
        baseline_file = baseline_path or (settings.baseline if use_baseline else None)
        baseline = Baseline.read(baseline_file) if baseline_file and not ignore_suppressions else None
    except (DiscoveryError, PolicyError, ConfigError, BaselineError) as exc:
        fail(str(exc))
    return settings, files, engine, baseline


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
