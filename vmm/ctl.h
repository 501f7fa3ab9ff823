/* SPDX-License-Identifier: MIT */
/*
 * The control port (guest/abi.h): the guest runtime's exceptions, panics
 * and snapshot requests; other requests go to the VM's ops (vm.h).
 */
#ifndef FPVM_VMM_CTL_H
#define FPVM_VMM_CTL_H

#include "../devices/devices.h"

/* A port device whose opaque pointer is the struct vm. */
extern const struct bus_device_ops fpvm_ctl_ops;

#endif
