"""Project configuration: ``kpi-policies.yaml`` at the repository root, or ``[tool.kpi-policies]`` in pyproject.toml.

Keys: ``policy`` (a pack path relative to the configuration file, or a
built-in pack name), ``paths`` (checked when none are named; default
``plans``), ``exclude`` (globs relative to the repository root) and
``baseline`` and ``lang`` (``en`` or ``vi``, the language of messages and
reports). Command-line options win over the configuration; every value
remembers where it came from (``kpi-policies config --show``). Paths in the
configuration must resolve (links followed) inside the repository: a pull
request cannot make a run read a file elsewhere on the machine by editing the
configuration; a path named on the command line may point anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "kpi-policies.yaml"


class ConfigError(Exception):
    """The project configuration cannot be used (exit 2); one line with file and position."""


@dataclass
class Settings:
    """Effective settings of a run.

    Attributes:
        policy: Policy pack path or built-in name, or ``None`` for the built-in ``recommended``.
        paths: Files and folders to check when none are named (``None``: the repository's plans/).
        exclude: Globs of files never checked.
        baseline: Baseline file, or ``None``.
        lang: Language of messages and reports (``en``, ``vi``), or ``None`` for the locale's.
        root: The repository root the globs are relative to.
        config_file: The configuration file read, if any.
        sources: Setting name -> where its value came from.
    """

    policy: str | None = None
    paths: list[str] | None = None
    exclude: list[str] = field(default_factory=list)
    baseline: str | None = None
    lang: str | None = None
    root: str = "."
    config_file: str | None = None
    sources: dict[str, str] = field(default_factory=lambda: {"policy": "built-in (recommended)", "paths": "default",
                                                             "exclude": "default", "baseline": "default"})


def _find(start: Path, root: Path) -> tuple[str, Path] | None:
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return "yaml", folder / CONFIG_FILE
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.kpi-policies]" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return "toml", pyproject
        if folder == root:
            break
    return None


def _read_yaml(path: Path) -> dict:
    from kpi_policies.schema import DocumentError, read_document

    try:
        return read_document(str(path), "Config").data
    except DocumentError as exc:
        raise ConfigError(str(exc)) from None


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    from kpi_policies.schema import validate

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError, OSError) as exc:  # TOMLDecodeError, UnicodeDecodeError, integers of 4300+ digits
        what = "nested too deeply" if isinstance(exc, RecursionError) else " ".join(str(exc).split())[:300]
        raise ConfigError(f"{path}: cannot read it as TOML: {what}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table ([tool.kpi-policies]), not {_toml_kind(tool)}")
    section = tool.get("kpi-policies", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.kpi-policies] must be a table of settings, not {_toml_kind(section)}")
    try:
        _, errors = validate({**section, "apiVersion": "kpi-policies/v1", "kind": "Config"})
    except (RecursionError, ValueError, TypeError, OverflowError):
        raise ConfigError(f"{path}: [tool.kpi-policies] has values kpi-policies cannot read (too deep or too large)") from None
    if errors:
        raise ConfigError(f"{path}: [tool.kpi-policies] {' '.join(errors[0].message.split())[:300]}")
    return section


def _toml_kind(value) -> str:
    return {list: "an array", str: "a text", bool: "true or false", int: "a number", float: "a number"}.get(type(value), "a value")


def load_settings(cwd: str | None = None) -> Settings:
    """The project configuration of the repository holding ``cwd``, or the defaults.

    Raises:
        ConfigError: when the configuration file is broken.
    """
    from kpi_policies.index import repository_root
    from kpi_policies.policy import BUILTIN_PACKS

    here = Path(cwd or os.getcwd()).resolve()
    root = Path(repository_root(str(here)))
    settings = Settings(root=str(root))
    found = _find(here, root)
    if found is None:
        return settings
    fmt, path = found
    data = _read_yaml(path) if fmt == "yaml" else _read_toml(path)
    label = str(path if fmt == "yaml" else f"{path} [tool.kpi-policies]")
    settings.config_file = str(path)
    settings.root = str(path.parent)
    base = path.parent

    repo = os.path.realpath(root)

    def rel(p: str, key: str = "paths") -> str:
        target = os.path.realpath(base / p)
        if os.path.commonpath([repo, target]) != repo:
            raise ConfigError(f"{label}: {key}: {p} is outside the repository ({repo}); the configuration may only "
                              f"name files inside it (name it on the command line to use it anyway)")
        return os.path.relpath(base / p, here)

    if "policy" in data:
        settings.policy = data["policy"] if data["policy"] in BUILTIN_PACKS else rel(data["policy"], "policy")
        settings.sources["policy"] = label
    if "paths" in data:
        settings.paths = [rel(p) for p in data["paths"]]
        settings.sources["paths"] = label
    if "exclude" in data:
        from kpi_policies.globs import GlobError, check as check_globs

        try:
            check_globs(data["exclude"])
        except GlobError as exc:
            raise ConfigError(f"{label}: exclude: {exc}") from None
        settings.exclude = list(data["exclude"])
        settings.sources["exclude"] = label
    if "baseline" in data:
        settings.baseline = rel(data["baseline"], "baseline")
        settings.sources["baseline"] = label
    if "lang" in data:
        settings.lang = data["lang"]
        settings.sources["lang"] = label
    return settings
