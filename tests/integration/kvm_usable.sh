# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# kvm_usable DEV: true when DEV can be opened for reading and writing, as
# fpvm opens it; otherwise prints why not (one line) and is false.  Sourced
# by lib.sh (the integration suites) and by fpvm-dev (hello's fallback).
kvm_usable() {
	if [ ! -e "$1" ]; then
		echo "no usable KVM: $1: no such device"
		return 1
	fi
	if [ ! -c "$1" ]; then
		echo "no usable KVM: $1: not a character device"
		return 1
	fi
	# A subshell: a failed redirection on exec ends a POSIX shell.
	err=$( (exec 3<>"$1") 2>&1) && return 0
	echo "no usable KVM: $1: cannot be opened (${err##*: })"
	return 1
}
