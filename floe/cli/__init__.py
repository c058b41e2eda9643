"""The floe CLI; ``invoke`` runs it in-process for tests."""

from floe.cli.main import Result as Result
from floe.cli.main import invoke as invoke
