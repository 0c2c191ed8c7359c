#!/usr/bin/env bash
# The global install a newcomer does (README § Install), checked end to end: pack the
# package as the registry would, install the tarball into an empty prefix, and run `emr`
# from a directory that is not the clone. Catches a `files`/`bin` entry that leaves out
# something the installed command needs (only the clone would have it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'emr_bin=$work/prefix/bin/emr; [ -x "$emr_bin" ] && "$emr_bin" --home "$work/home" devnet down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/prefix" "$work/elsewhere"

# `npm pack` builds first (the prepare script) unless dist/ is current; the tarball is what
# `npm publish` would upload.
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
cd "$work/elsewhere"
npm install -g --prefix "$work/prefix" --prefer-offline --no-audit --no-fund "$work/$tarball" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "install-test: npm install -g of the tarball failed" >&2; exit 1; }
export PATH="$work/prefix/bin:$PATH"
[ "$(command -v emr)" = "$work/prefix/bin/emr" ] || { echo "install-test: emr is not on PATH from the prefix" >&2; exit 1; }
emr --help | grep -q 'Patient' || { echo "install-test: emr --help does not list the commands" >&2; exit 1; }
# `emr --help` names the installed reference by its path (issue 22 point 13), inside the prefix.
docs=$(emr --help | grep -o '/[^ ]*/docs/CLI.md' | head -1)
case "$docs" in "$work"/prefix/*) [ -f "$docs" ] ;; *) false ;; esac || { echo "install-test: emr --help does not name the installed docs/CLI.md (got '$docs')" >&2; exit 1; }
emr demo --home "$work/home" >"$work/demo.log" 2>&1 || { tail -20 "$work/demo.log"; echo "install-test: emr demo failed from the installed package" >&2; exit 1; }
grep -q 'Demo complete' "$work/demo.log"
echo "install-test: packed $(basename "$tarball"), installed into an empty prefix; emr --help and emr demo ran from $work/elsewhere"
cd "$root"
