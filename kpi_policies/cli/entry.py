"""Running the command line: as the process's entry point (:func:`run`) or inside another program (:func:`execute`).

Both take the same path, so a test that calls :func:`execute` sees what a
user of the installed ``kpi-policies`` sees: the same output, the same one-line
errors and the same exit codes, never a traceback.
"""

from __future__ import annotations

import io
import os
import sys

import click

from kpi_policies.cli.common import EXIT_OK, EXIT_USAGE


def run(argv: list[str] | None = None, prog_name: str | None = None) -> int:
    """Run the command line on ``argv`` (default: the process's arguments) with the current streams.

    Unexpected errors become one line on standard error and exit code 2, never a traceback.

    Returns:
        The exit code.
    """
    try:
        from kpi_policies.cli.app import cli

        code = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        click.echo(str(exc.code), err=True)
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("kpi-policies: aborted", err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"kpi-policies: {exc.format_message()}{hint}", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo(f"kpi-policies: {exc.format_message()}", err=True)
        return EXIT_USAGE
    except (BrokenPipeError, KeyboardInterrupt):
        return EXIT_USAGE
    except Exception as exc:  # never a traceback
        click.echo(f"kpi-policies: internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_USAGE
    return code if isinstance(code, int) else EXIT_OK


def execute(argv: list[str], stdin: str | None = None, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    """Run the command line in this process as the installed ``kpi-policies`` would run in its own.

    Standard input, output and error are text in UTF-8; ``env`` sets (``None``:
    removes) environment variables for this run only. The working folder is the
    caller's.

    Returns:
        ``(exit code, standard output, standard error)``.
    """
    out, err = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8"),
               io.TextIOWrapper(out, encoding="utf-8", write_through=True),
               io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True))
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_env = {name: os.environ.get(name) for name in env or {}}
    try:
        _set_env(env or {})
        sys.stdin, sys.stdout, sys.stderr = streams
        code = run(list(argv), prog_name="kpi-policies")
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        _set_env(saved_env)
    for stream in streams[1:]:
        stream.flush()
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def _set_env(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def main() -> None:
    """The ``kpi-policies`` console script: run the command line on the process's streams and exit with its code."""
    from kpi_policies.cli.console import protect_stdout

    protect_stdout()  # unencodable characters become "?"; a closed pipe ends the run quietly with its own exit code
    # pydantic looks for its observability plugins among every installed package's entry points when it
    # builds the first model (tens of milliseconds at each start); the command line has no use for them
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(run())
