// SPDX-License-Identifier: MIT
/*
 * The guest image and its modules (load.h): the loader does the work; this
 * file gives it the VM's memory, boot layout and command line, and the PC
 * platform its firmware when the image's kind boots on one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pc.h"
#include "vm.h"

/*
 * A bad image's message names it; RAM too small for it stays a
 * configuration error, whose message the command begins with its option.
 */
static int name_input_error(struct fpvm_error *err, const char *path, int r)
{
	return err->cls == FPVM_ERR_INPUT ? image_name_error(err, path) : r;
}

bool vm_guest_is_linux(const struct vm_config *cfg)
{
	return cfg->image && image_kind_linux(image_detect(cfg->image, cfg->image_len));
}

int vm_check_image(struct vm_config *cfg, uint8_t **owned, struct fpvm_error *err)
{
	struct load_limits lim;
	struct image img;
	struct boot_layout b;
	struct guest_mem mem;
	int r;

	*owned = NULL;
	if (!cfg->image) {
		size_t len;

		r = image_read_file(cfg->guest_path, cfg->mem_size ?: FPVM_LINUX_DEFAULT_MEM, owned,
				    &len, err);
		if (r)
			return r;
		cfg->image = *owned;
		cfg->image_len = len;
	}
	if (!cfg->mem_size)
		cfg->mem_size = vm_guest_is_linux(cfg) ? FPVM_LINUX_DEFAULT_MEM : FPVM_DEFAULT_MEM;
	guest_mem_layout(&mem, cfg->mem_size, NULL);
	r = boot_layout_init(&b, &mem, cfg->nr_cpus, cfg->max_cpus, err);
	if (r)
		return r;
	load_limits_init(&lim, &mem, &b);
	r = image_validate(cfg->image, cfg->image_len, &lim, &img, err);
	if (r)
		return name_input_error(err, cfg->guest_path, r);
	if (cfg->nr_modules && !image_kind_modules(img.kind)) {
		r = fpvm_fail(err, FPVM_ERR_INPUT, EINVAL, "%s: modules are for Multiboot kernels "
			      "only", cfg->guest_path);
		fpvm_error_item(err, CFG_MODULES, strlen(cfg->guest_path) + strlen(": modules"));
		return r;
	}
	for (unsigned int i = 0; i < cfg->nr_modules; i++) {
		const char *spec = cfg->modules[i], *comma = strchr(spec, ',');
		char path[4096];
		uint8_t *data;
		size_t len;

		snprintf(path, sizeof(path), "%.*s", comma ? (int)(comma - spec) : (int)strlen(spec),
			 spec);
		r = image_read_file(path, cfg->mem_size, &data, &len, err);
		if (r)
			return r;
		cfg->module[i] = (struct image_module){ data, len, comma ? comma + 1 : "" };
	}
	r = image_check_boot(&img, &lim, &(struct image_boot){
		.image = cfg->image, .image_len = cfg->image_len, .path = cfg->guest_path,
		.nargs = cfg->guest_nargs, .args = cfg->guest_args, .modules = cfg->module,
		.nr_modules = cfg->nr_modules,
	}, err);
	return r ? name_input_error(err, cfg->guest_path, r) : 0;
}

void vm_release_modules(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_modules; i++)
		free((void *)cfg->module[i].data);
	memset(cfg->module, 0, sizeof(cfg->module));
}

int vm_load_guest(struct vm *vm, struct fpvm_error *err)
{
	const struct image_boot boot = {
		.image = vm->cfg->image, .image_len = vm->cfg->image_len,
		.path = vm->cfg->guest_path, .nargs = vm->cfg->guest_nargs,
		.args = vm->cfg->guest_args, .modules = vm->cfg->module,
		.nr_modules = vm->cfg->nr_modules,
	};
	struct load_limits lim;
	int r;

	load_limits_init(&lim, &vm->mem, &vm->boot);
	if (vm->cfg->image)
		r = image_load(vm->cfg->image, vm->cfg->image_len, vm->cfg->guest_path, &vm->mem,
			       &lim, &vm->image, err);
	else
		r = image_load_file(vm->cfg->guest_path, &vm->mem, &lim, &vm->image, err);
	if (r)
		return r;
	r = image_prepare(&vm->image, &vm->mem, &vm->boot, &boot, err);
	if (!r && image_kind_pc(vm->image.kind))
		r = pc_load_firmware(vm, err);
	return r;
}
