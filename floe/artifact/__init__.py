"""The compiled artifact (schema 0.5.0) and its reader/writer."""

from floe.artifact.io import read as read
from floe.artifact.io import write as write
from floe.artifact.models import CompiledArtifacts as CompiledArtifacts
