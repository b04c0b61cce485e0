"""`python -m worldsmith.cli`: the same commands as the `worldsmith` script."""

from worldsmith.cli import app

app()
