/* SPDX-License-Identifier: MIT */
/*
 * A VM's guest image and modules: read and checked before KVM is opened,
 * then loaded into the VM through the loader (loader/loader.h).
 */
#ifndef FPVM_VMM_LOAD_H
#define FPVM_VMM_LOAD_H

#include <stdbool.h>

#include <stdint.h>

#include "../base/error.h"

struct vm;
struct vm_config;

/*
 * What needs no KVM, checked before KVM is opened: the memory and boot
 * layout, and the guest image against it, so a bad image is reported as
 * one on any machine.  Reads the image into memory once (cfg->image, which
 * the caller frees through *@owned), and any Multiboot modules
 * (vm_release_modules()); vm_boot() then loads them from there.
 */
int vm_check_image(struct vm_config *cfg, uint8_t **owned, struct fpvm_error *err);
/* Whether @cfg's image is a Linux kernel (bzImage or PVH vmlinux); false without one. */
bool vm_guest_is_linux(const struct vm_config *cfg);
/* Frees what vm_check_image() read for @cfg's modules. */
void vm_release_modules(struct vm_config *cfg);
/* The image into guest memory, with what its kind boots with and its platform's firmware. */
int vm_load_guest(struct vm *vm, struct fpvm_error *err);

#endif
