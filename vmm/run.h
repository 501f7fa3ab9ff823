/* SPDX-License-Identifier: MIT */
/*
 * A VM running, as its main thread sees it: the vCPU threads started, then
 * waiting for the end, a timeout, SIGINT/SIGTERM, or something only the
 * main thread does (a snapshot, ACPI S3), and every vCPU thread joined.
 */
#ifndef FPVM_VMM_RUN_H
#define FPVM_VMM_RUN_H

#include "../base/error.h"

struct vm;

/* Runs @vm until it stops; why is in vm->stop.  Nonzero: it could not run. */
int vm_run(struct vm *vm, struct fpvm_error *err);

#endif
