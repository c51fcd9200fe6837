"""``python -m kpi_policies`` runs the command line."""

from kpi_policies.cli import main

if __name__ == "__main__":
    main()
