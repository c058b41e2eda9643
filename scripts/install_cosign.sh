#!/usr/bin/env bash
# cosign (the signer promotion uses) into DEST/bin. Debian packages cosign from trixie on; its
# static binary runs on bookworm. apt fetches it with private state folders, so the machine's
# own apt setup is left as it is; the archive is the one this machine's apt already uses.
set -euo pipefail
DEST=${1:?usage: install_cosign.sh DEST}
VERSION=2.5.0-2+b5
SHA256=3b6eadd27f3c4c00bfa7eab5c2397a6a15a763630c7a1d40d06ff60d24799eef
[ -x "$DEST/bin/cosign" ] && exit 0
uri=$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true) \
  | awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}')
if [ -z "$uri" ]; then
  uri=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true) \
    | awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}')
fi
[ -n "$uri" ] || { echo "install_cosign: no Debian archive in this machine's apt sources" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources.d" "$work/lists/partial" "$work/archives/partial"
touch "$work/status"
cat > "$work/sources.d/trixie.sources" <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources.d"
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
      -o "Dir::State::status=$work/status" -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
apt-get "${opts[@]}" update
(cd "$work" && apt-get "${opts[@]}" download "cosign=$VERSION")
deb=$(ls "$work"/cosign_*.deb)
echo "$SHA256  $deb" | sha256sum -c --quiet
dpkg-deb -x "$deb" "$work/x"
mkdir -p "$DEST/bin"
install -m 0755 "$work/x/usr/bin/cosign" "$DEST/bin/cosign"
"$DEST/bin/cosign" version 2>/dev/null | grep -m1 GitVersion
