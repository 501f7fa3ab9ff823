#!/bin/sh
# SPDX-License-Identifier: MIT
# CI's package check (docs/install.md): builds the Debian package from a
# copy of the tree, runs lintian on it (no error allowed), unpacks it with
# dpkg -x and runs the unpacked fpvm on the unpacked guests: without any
# KVM, every test a skip; then the bundled suite on this host's KVM, or,
# where there is none, on the faithful lane (a real KVM inside QEMU).
#
#   .ci/package.sh [BUILD-DIR]     BUILD-DIR: a built tree for the lane (default build)
set -eu
cd "$(dirname "$0")/.."
SRC=$(pwd)
B=$(cd "${1:-build}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fpvm-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
VERSION=$(sed -n '1s/^fpvm (\([^)]*\)).*/\1/p' debian/changelog)
MESON_VERSION=$(sed -n "s/^  version: '\([^']*\)',/\1/p" meson.build)
[ "$VERSION" = "$MESON_VERSION" ] || {
	echo "package: debian/changelog says $VERSION, meson.build $MESON_VERSION" >&2
	exit 1
}

# The tracked tree and new files not ignored, as a fresh clone would have it.
mkdir "$WORK/fpvm-$VERSION"
git ls-files -z -co --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf - | tar -xf - -C "$WORK/fpvm-$VERSION"
echo "package: dpkg-buildpackage -us -uc -b (log: $WORK/build.log)"
(cd "$WORK/fpvm-$VERSION" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 || {
	tail -40 "$WORK/build.log"
	exit 1
}
DEB="$WORK/fpvm_${VERSION}_amd64.deb"
[ -f "$DEB" ] || { echo "package: no $DEB" >&2; ls "$WORK" >&2; exit 1; }
ls -l "$DEB"

# lintian: errors fail; warnings are listed (and justified in debian/fpvm.lintian-overrides).
lintian --info --display-info --show-overrides "$DEB" "$WORK"/fpvm_*.buildinfo >"$WORK/lintian.txt" 2>&1 || true
cat "$WORK/lintian.txt"
if grep -q '^E: ' "$WORK/lintian.txt"; then
	echo "package: lintian reports errors" >&2
	exit 1
fi

dpkg -x "$DEB" "$WORK/root"
R=$WORK/root
for f in usr/bin/fpvm usr/lib/fpvm/guests.cfg usr/lib/fpvm/hostile.cfg usr/lib/fpvm/hello.elf \
	usr/share/man/man1/fpvm.1.gz usr/share/man/man1/fpvm-run.1.gz \
	usr/share/bash-completion/completions/fpvm usr/share/zsh/vendor-completions/_fpvm \
	usr/share/fpvm/junit.xsd; do
	[ -e "$R/$f" ] || { echo "package: $f is not in the package" >&2; exit 1; }
done
MANPATH="$R/usr/share/man" man -P cat fpvm-run 2>/dev/null | grep -q -- '--cpus' || {
	echo "package: man fpvm-run does not show --cpus" >&2
	exit 1
}
# Without a KVM every bundled test is a skip, with the unpacked guests found.
"$R/usr/bin/fpvm" test --kvm "$WORK/no-kvm" --log-dir "$WORK/logs" --json "$WORK/nokvm.json" \
	"$R/usr/lib/fpvm/guests.cfg" >"$WORK/nokvm.tap"
grep -q '"failed": 0, "skipped": ' "$WORK/nokvm.json" || { cat "$WORK/nokvm.tap"; exit 1; }
echo "package: the unpacked fpvm lists and skips $(grep -c '^ok' "$WORK/nokvm.tap") tests without KVM"

# With a usable /dev/kvm, the bundled suite on it; otherwise on the faithful
# lane: the unpacked fpvm and guests, nothing from the build tree.
. tests/integration/kvm_usable.sh
if kvm_usable "${FPVM_KVM:-/dev/kvm}" >/dev/null; then
	"$R/usr/bin/fpvm" test --kvm "${FPVM_KVM:-/dev/kvm}" --log-dir "$WORK/logs" \
		"$R/usr/lib/fpvm/guests.cfg" || {
		echo "package: the unpacked fpvm's bundled suite failed on this host's KVM" >&2
		exit 1
	}
	echo "package: the unpacked fpvm passed its bundled suite on this host's KVM"
	exit 0
fi
if [ "${FPVM_PACKAGE_LANE:-1}" = 0 ]; then
	echo "package: the lane run is off (FPVM_PACKAGE_LANE=0)"
	exit 0
fi
set -- "$R/usr/bin/fpvm" "$R/usr/lib/fpvm/guests.cfg"
for g in "$R"/usr/lib/fpvm/*.elf; do
	set -- "$@" "$g"
done
add=""
for f in "$@"; do
	add="$add --add $f"
done
# shellcheck disable=SC2086
python3 tests/tcg/tcg_lane.py --build "$B" --cache "${FPVM_TCG_CACHE:-$B/tcg-cache}" --quiet run \
	$add -- ./fpvm test --jobs 2 --json /tmp/lane.json guests.cfg >"$WORK/lane.tap" || status=$?
cat "$WORK/lane.tap"
if [ "${status:-0}" != 0 ]; then
	echo "package: the unpacked fpvm's bundled suite failed on the faithful lane (status $status)" >&2
	exit 1
fi
echo "package: the unpacked fpvm passed its bundled suite on the faithful lane"
