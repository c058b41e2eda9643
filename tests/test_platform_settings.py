"""A platform home may sit deep in the file system (pytest's temp folders do): its services'
Unix sockets must still fit the 107-byte limit, or SeaweedFS dies at start."""

from pathlib import Path

from floe.platform.settings import PlatformSettings

SOCKET_NAME = "weed-filer.sock"


def test_a_short_home_keeps_its_sockets_in_its_run_folder(tmp_path: Path) -> None:
    settings = PlatformSettings(home=Path("/tmp/h"))
    assert settings.socket_dir == Path("/tmp/h/run")


def test_a_deep_home_gets_a_short_socket_folder_of_its_own(tmp_path: Path) -> None:
    deep = tmp_path / ("nested-folder-" * 8) / "governance" / "floe-home0"
    other = tmp_path / ("nested-folder-" * 8) / "promotion" / "floe-home0"
    sockets = PlatformSettings(home=deep).socket_dir
    assert len(str(sockets / SOCKET_NAME).encode()) < 108
    assert sockets.name.startswith("floe-sockets-") and len(sockets.name) == 29
    assert sockets != PlatformSettings(home=other).socket_dir
    assert sockets == PlatformSettings(home=deep).socket_dir
