"""`make e2e` runs every feature: a feature added without a place in the dependency order would
silently never run there."""

import subprocess
import sys
from pathlib import Path

from steps.harness.e2e import ORDER, ROOT, leftovers


def test_the_dependency_order_names_every_feature_once() -> None:
    files = sorted(p.name for p in (ROOT / "features").glob("test_*_bdd.py"))
    assert sorted(f"test_{name}_bdd.py" for name in ORDER) == files
    assert len(set(ORDER)) == len(ORDER) == 12
    assert ORDER[0] == "platform_bootstrap" and ORDER[-2:] == ["demo_mode", "acceptance_suite"]


def test_a_process_started_from_a_features_folder_is_a_leftover_until_it_stops(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "feature"
    folder.mkdir()
    sleeper = "import sys, time; time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", sleeper, str(folder / "home")])
    try:
        (found,) = leftovers(folder)
        assert found.startswith(f"{proc.pid}: {sys.executable} -c {sleeper}")
    finally:
        proc.kill()
        proc.wait()
    assert leftovers(folder) == []
