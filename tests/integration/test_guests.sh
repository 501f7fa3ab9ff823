#!/bin/sh
# SPDX-License-Identifier: MIT
# fpvm's own guests, as a user's suite would run: tests/guests.cfg through
# 'fpvm test'.  Its TAP is this suite's; without a usable KVM every test is
# a skip with the reason, from fpvm test itself.
: "${FPVM:?FPVM must name the fpvm binary}"
: "${GUEST_DIR:?GUEST_DIR must name the built guests}"
dir=$(dirname "$0")
manifest=$dir/../guests.cfg
[ -f "$manifest" ] || manifest=$dir/guests.cfg	# inside the TCG lane
logs=$(mktemp -d "${TMPDIR:-/tmp}/fpvm-guests.XXXXXX")
trap 'rm -rf "$logs"' EXIT
"$FPVM" test --kvm "${FPVM_KVM:-/dev/kvm}" --guest-dir "$GUEST_DIR" --log-dir "$logs" "$manifest"
