#!/usr/bin/env bash
# Installs a sqscan release binary, its SHA-256 checked: for the GitHub
# Action, the GitLab and Azure templates, and anyone without Rust.
#
# usage: ci/install.sh VERSION DIR    (prints DIR, where sqscan now is)
# VERSION is a release tag (v0.2.0). The platform is this machine's.
set -euo pipefail
version=${1:?usage: install.sh VERSION DIR}
dir=${2:?usage: install.sh VERSION DIR}
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  Darwin/arm64) target=aarch64-apple-darwin ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  MINGW* | MSYS* | CYGWIN*) target=x86_64-pc-windows-msvc ;;
  *) echo "no sqscan release for $(uname -s)/$(uname -m): build it with cargo install --locked" >&2; exit 1 ;;
esac
ext=tar.gz
[ "$target" = x86_64-pc-windows-msvc ] && ext=zip
name="sqscan-$version-$target"
base="${SQSCAN_RELEASES:-https://github.com/sqscan/sqscan/releases/download}/$version"
mkdir -p "$dir"
cd "$dir"
curl -fsSL --retry 3 -o "$name.$ext" "$base/$name.$ext"
curl -fsSL --retry 3 -o "$name.$ext.sha256" "$base/$name.$ext.sha256"
if command -v sha256sum >/dev/null 2>&1; then
  sha256sum -c "$name.$ext.sha256" >&2
else
  shasum -a 256 -c "$name.$ext.sha256" >&2
fi
if [ "$ext" = zip ]; then unzip -qo "$name.$ext"; else tar -xzf "$name.$ext"; fi
echo "$dir/$name"
