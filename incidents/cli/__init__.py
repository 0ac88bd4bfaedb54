"""Command line ``python -m incidents``: :mod:`incidents.cli.main` builds the parser and handles errors;
one module per group of commands registers itself into it."""
