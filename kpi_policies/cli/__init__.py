"""The ``kpi-policies`` command line: each command parses its options and calls the engine.

``app`` holds the command group and :func:`main`; ``common`` the helpers the
commands share (dates, one-line errors, writing outputs, setting up a run);
``report`` the audit report command; ``entry`` runs the command line, as the
process's entry point or inside another program (the tests).
"""

from kpi_policies.cli.app import cli
from kpi_policies.cli.entry import main

__all__ = ["cli", "main"]
