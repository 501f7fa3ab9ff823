// SPDX-License-Identifier: MIT
/*
 * Saved fpstates as files and as text (fpstate/file.c, layout_text.c):
 * the strict .layout parser against each case of issue 20 item 7, the
 * layout checked as a whole, the v1 text fpvm writes read back, files
 * read and created through base/file.h, and fpvm fpstate show.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char dir[64], xsave_path[128], layout_path[128];
static struct fpstate_file sf;
static struct fpstate_error err;

/* As fpvm run --save-fpstate writes it on an AMD EPYC with AVX-512 (no MPX). */
static const char amd[] =
	"# fpvm fpstate layout v1: describes vcpu0.xsave\n"
	"vcpu = 0\nsize = 4096\nis_guest = 1\nxcr0 = 0xe7\nxfeatures = 0xe7\n"
	"xcr0_supported = 0xe7\nxss_supported = 0x0\nxsave_features = 0x0\n"
	"max_size = 2432\nmxcsr_mask = 0x2ffff\n"
	"# component = bit offset size flags\n"
	"component = 2 576 256 0x0\ncomponent = 5 832 64 0x0\n"
	"component = 6 896 512 0x0\ncomponent = 7 1408 1024 0x0\n";

/* A Sapphire Rapids guest: MPX, AVX-512, PKRU, CET supervisor state and AMX. */
static const char amx[] =
	"# fpvm fpstate layout v1: describes vcpu0.xsave\n"
	"vcpu = 0\nsize = 11008\nis_guest = 1\nxcr0 = 0x602ff\nxfeatures = 0x602ff\n"
	"xcr0_supported = 0x602ff\nxss_supported = 0x1800\nxsave_features = 0x1f\n"
	"max_size = 11008\nmxcsr_mask = 0xffff\n"
	"# component = bit offset size flags\n"
	"component = 2 576 256 0x0\ncomponent = 3 960 64 0x0\n"
	"component = 4 1024 64 0x0\ncomponent = 5 1088 64 0x0\n"
	"component = 6 1152 512 0x0\ncomponent = 7 1664 1024 0x0\n"
	"component = 9 2688 8 0x0\ncomponent = 11 0 16 0x1\n"
	"component = 12 0 24 0x1\ncomponent = 17 2752 64 0x0\n"
	"component = 18 2816 8192 0x6\n";

static void setup(void)
{
	strcpy(dir, "/tmp/fpvm-test-layout-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(xsave_path, sizeof(xsave_path), "%s/vcpu0.xsave", dir);
	snprintf(layout_path, sizeof(layout_path), "%s/vcpu0.layout", dir);
	memset(&sf, 0, sizeof(sf));
	memset(&err, 0, sizeof(err));
	/* A test that blocks (a FIFO read) is killed, not left hanging. */
	alarm(10);
}

static void teardown(void)
{
	char cmd[128];

	fpstate_file_free(&sf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* @text with the first @old replaced by @new; in turns in two buffers, so that edits nest. */
static const char *edit(const char *text, const char *old, const char *new)
{
	static char bufs[2][8192];
	static unsigned int turn;
	char *out = bufs[turn++ % 2];
	const char *at = strstr(text, old);

	ck_assert_ptr_nonnull(at);
	snprintf(out, sizeof(bufs[0]), "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
	return out;
}

/* DIR/vcpu0.layout with @text beside an init image of @size bytes, loaded as fpvm fpstate does. */
static int load(const char *text, uint32_t size)
{
	uint8_t *image = calloc(1, size);

	ck_assert_ptr_nonnull(image);
	fpstate_init_uabi(image, size);
	write_file(layout_path, text, strlen(text));
	write_file(xsave_path, image, size);
	free(image);
	fpstate_file_free(&sf);
	memset(&err, 0, sizeof(err));
	return fpstate_file_load(xsave_path, &sf, &err);
}

static void expect_refused(const char *text, uint32_t size, const char *fragment)
{
	ck_assert_int_lt(load(text, size), 0);
	ck_assert_msg(strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg, fragment);
	ck_assert_ptr_null(sf.buf);
}

START_TEST(v1_files_load)
{
	ck_assert_int_eq(load(amd, 4096), 0);
	ck_assert_int_eq(sf.vcpu, 0);
	ck_assert_uint_eq(sf.size, 4096);
	ck_assert(sf.is_guest);
	ck_assert_uint_eq(sf.xcr0, 0xe7);
	ck_assert_uint_eq(sf.xfeatures, 0xe7);
	ck_assert_uint_eq(sf.layout.max_size, 2432);
	ck_assert_uint_eq(sf.layout.mxcsr_mask, 0x2ffff);
	ck_assert_uint_eq(sf.layout.comp[XFEATURE_OPMASK].offset, 832);
	ck_assert_uint_eq(sf.layout.comp[XFEATURE_SSE].offset, 160);
	ck_assert_int_eq(load(amx, 11008), 0);
	ck_assert_uint_eq(sf.layout.comp[XFEATURE_XTILE_DATA].flags, XCOMP_ALIGNED | XCOMP_XFD);
	ck_assert_uint_eq(sf.layout.comp[XFEATURE_CET_KERNEL].size, 24);
	ck_assert_uint_eq(sf.layout.xss_supported, 0x1800);
	/* Hex without 0x and blanks around the fields, as a hand-written file may have. */
	ck_assert_int_eq(load(edit(amd, "xcr0 = 0xe7\n", "xcr0\t=  e7 \n"), 4096), 0);
	ck_assert_uint_eq(sf.xcr0, 0xe7);
}
END_TEST

/*
 * Layouts refused for one edit of a good one, and the message that says
 * why: first each case of issue 20 item 7 (quoted), then the rules that
 * check the layout as a whole.
 */
static const struct refusal {
	const char *base;
	uint32_t size;
	const char *old, *new, *message;
} refusals[] = {
	/* "size = 4294971392 wraps to 4096" */
	{ amd, 4096, "size = 4096", "size = 4294971392",
	  "vcpu0.layout:3: size 4294971392 is out of range (576 to 16777216)" },
	{ amd, 4096, "size = 4096", "size = 18446744073709555712",
	  "size 18446744073709555712 is out of range" },
	{ amd, 4096, "size = 4096", "size = -4096", "size: '-4096' is not a decimal number" },
	/* "xcr0 = 0x207 trailing junk reads as 0x207" */
	{ amx, 11008, "xcr0 = 0x602ff", "xcr0 = 0x207 trailing junk",
	  "vcpu0.layout:5: xcr0: 'trailing' after the value" },
	{ amd, 4096, "size = 4096", "size = 4096k", "size: '4096k' is not a decimal number" },
	{ amd, 4096, "64 0x0\n", "64 0x0 7\n", "component: '7' after the value" },
	{ amd, 4096, "64 0x0\n", "64\n", "component flags: no value" },
	{ amd, 4096, "is_guest = 1", "is_guest = 1.0", "is_guest: '1.0' is not a decimal number" },
	/* "a repeated key wins silently" */
	{ amd, 4096, "mxcsr_mask = 0x2ffff\n", "mxcsr_mask = 0x2ffff\nxcr0 = 0x7\n",
	  "vcpu0.layout:12: xcr0 again (first on line 5)" },
	{ amd, 4096, "component = 6", "component = 5 832 64 0x0\ncomponent = 6",
	  "vcpu0.layout:15: component 5 (opmask) again (first on line 14)" },
	/* "A layout that places in-use components outside the buffer" */
	{ amx, 4096, "size = 11008", "size = 4096",
	  "vcpu0.layout:23: component 18 (xtiledata) ends at 11008, outside the image's 4096 "
	  "bytes" },
	{ amd, 4096, "component = 7 1408", "component = 7 3584",
	  "component 7 (hi16_zmm) ends at 4608, beyond max_size 2432" },
	/* "or at absurd offsets": the architecture fixes the standard format */
	{ amd, 4096, "component = 5 832", "component = 5 16",
	  "component 5 (opmask): offset 16 is inside the legacy area and header" },
	{ amd, 4096, "component = 6 896", "component = 6 860",
	  "vcpu0.layout:15: component 6 (zmm_hi256) overlaps component 5 (opmask)" },
	{ amd, 4096, "component = 2 576", "component = 2 640",
	  "component 2 (avx): offset 640, not 576" },
	{ amd, 4096, "1408 1024", "1408 1",
	  "component 7 (hi16_zmm): size of 1 bytes; the architecture's is a user component of "
	  "1024" },
	{ amd, 4096, "component = 7 1408", "component = 7 4000000000",
	  "component offset 4000000000 is out of range (0 to 16777216)" },
	{ amx, 11008, "component = 12 0 24", "component = 12 576 24",
	  "component 12 (cet_kernel): a supervisor component at offset 576" },
	{ amd, 4096, "64 0x0\n", "64 0x8\n", "component flags 0x8 is out of range (0x0 to 0x7)" },
	{ amd, 4096, "component = 5", "component = 1",
	  "component bit 1 is out of range (2 to 63)" },
	{ amd, 4096, "832 64", "832 0", "component size 0 is out of range" },
	/* The features it describes; XCR0 as XSETBV allows it. */
	{ amd, 4096, "xcr0 = 0xe7", "xcr0 = 0xe6",
	  "vcpu0.layout:5: xcr0 0xe6 without x87 (bit 0)" },
	{ amd, 4096, "xfeatures = 0xe7", "xfeatures = 0x2e7",
	  "vcpu0.layout:6: xfeatures 0x2e7: pkru without a component line" },
	{ amd, 4096, "xfeatures = 0xe7", "xfeatures = 0x7",
	  "xcr0 0xe7: opmask,zmm_hi256,hi16_zmm outside the user features" },
	{ amx, 11008, "xcr0 = 0x602ff\nxfeatures = 0x602ff", "xcr0 = 0x612ff\nxfeatures = 0x612ff",
	  "xcr0 0x612ff: cet_kernel outside the user features of xfeatures 0x612ff" },
	{ amd, 4096, "xcr0_supported = 0xe7", "xcr0_supported = 0x7",
	  "component 5 (opmask) is in neither xcr0_supported nor xss_supported" },
	{ amd, 4096, "is_guest = 1", "is_guest = 2", "is_guest 2 is out of range (0 to 1)" },
	{ amd, 4096, "vcpu = 0", "vcpu = 4096", "vcpu 4096 is out of range (0 to 4095)" },
	{ amd, 4096, "mxcsr_mask = 0x2ffff", "mxcsr_mask = 0x100000000",
	  "mxcsr_mask 0x100000000 is out of range (0x0 to 0xffffffff)" },
	/* Lines that are not KEY = VALUE. */
	{ amd, 4096, "vcpu = 0\n", "colour = blue\n",
	  "vcpu0.layout:2: unrecognised line: unknown key 'colour'" },
	{ amd, 4096, "vcpu = 0\n", "vcpu 0\n",
	  "vcpu0.layout:2: unrecognised line: vcpu without '='" },
	{ amd, 4096, "vcpu = 0\n", "vcpu =\n", "vcpu0.layout:2: vcpu: no value" },
};

START_TEST(edits_are_refused)
{
	const struct refusal *c = &refusals[_i];

	ck_assert_int_lt(load(edit(c->base, c->old, c->new), c->size), 0);
	ck_assert_msg(strstr(err.msg, c->message), "'%s' -> '%s': message '%s' lacks '%s'", c->old,
		      c->new, err.msg, c->message);
	ck_assert_ptr_null(sf.buf);
}
END_TEST

/* "a layout missing xcr0, xfeatures and is_guest silently becomes XCR0 0 and a host fpstate". */
START_TEST(missing_keys_are_refused)
{
	static const char *const keys[] = {
		"vcpu", "size", "is_guest", "xcr0", "xfeatures", "xcr0_supported",
		"xss_supported", "xsave_features", "max_size", "mxcsr_mask",
	};
	char text[sizeof(amd)], *line, want[64];

	expect_refused(edit(amd, "is_guest = 1\nxcr0 = 0xe7\nxfeatures = 0xe7\n", ""), 4096,
		       "vcpu0.layout: no is_guest line");
	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		strcpy(text, amd);
		snprintf(want, sizeof(want), "\n%s = ", keys[i]);
		line = strstr(text, want);
		ck_assert_ptr_nonnull(line);
		/* The line made a comment: the key is missing, the line numbers stay. */
		line[1] = '#';
		snprintf(want, sizeof(want), "no %s line", keys[i]);
		expect_refused(text, 4096, want);
	}
}
END_TEST

/* "a long comment is split and its tail parsed as a key". */
START_TEST(long_lines_are_refused_whole)
{
	char text[sizeof(amd) + 512];

	/* 255 bytes filled the old 256-byte line buffer: the rest was read as a line of its own. */
	snprintf(text, sizeof(text), "#%0254dvcpu = 7\n%s", 0, amd);
	expect_refused(text, 4096, "vcpu0.layout:1: longer than 256 characters");
	snprintf(text, sizeof(text), "%s#%0255d\n", amd, 0);
	ck_assert_int_eq(load(text, 4096), 0);
	snprintf(text, sizeof(text), "%s#%0256d\n", amd, 0);
	expect_refused(text, 4096, "vcpu0.layout:17: longer than 256 characters");
}
END_TEST

/* What the whole-layout rules still accept: state nothing reads, described supervisor state. */
START_TEST(whole_layouts_accepted)
{
	/* AMX described beyond a 4096-byte image, but not in use: nothing reads it. */
	const char *text = edit(amx, "= 11008\nis_guest = 1\nxcr0 = 0x602ff\nxfeatures = 0x602ff",
				"= 4096\nis_guest = 1\nxcr0 = 0x2ff\nxfeatures = 0x2ff");

	ck_assert_int_eq(load(text, 4096), 0);
	ck_assert_uint_eq(sf.size, 4096);
	/* Guest-only supervisor state in xfeatures, described: a guest fpstate has it. */
	ck_assert_int_eq(load(edit(amx, "xfeatures = 0x602ff", "xfeatures = 0x612ff"), 11008), 0);
	ck_assert_uint_eq(sf.xfeatures, 0x612ff);
}
END_TEST

START_TEST(a_nul_byte_is_refused)
{
	char text[sizeof(amd)];

	memcpy(text, amd, sizeof(amd));
	text[30] = '\0';
	ck_assert_int_eq(load(amd, 4096), 0);
	fpstate_file_free(&sf);
	write_file(layout_path, text, sizeof(amd) - 1);
	ck_assert_int_lt(fpstate_file_load(xsave_path, &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "vcpu0.layout:1: a NUL byte"));
}
END_TEST

/* fpvm fpstate show @path: its status, and what it printed (stdout and stderr) in @out. */
static int show(const char *path, char *out, size_t size)
{
	struct fpstate_opts o = { .files = { path } };
	char out_path[128];
	int saved = dup(1), saved_err = dup(2), fd, status;
	ssize_t n;

	snprintf(out_path, sizeof(out_path), "%s/out", dir);
	fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	status = cmd_fpstate_show.run(&o);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved_err, 2);
	close(saved);
	close(saved_err);
	n = pread(fd, out, size - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return status;
}

/* "show prints zeros for registers it never read". */
START_TEST(show_never_prints_what_it_did_not_read)
{
	const char *outside = edit(edit(amd, "max_size = 2432", "max_size = 4608"),
				   "component = 7 1408", "component = 7 3584");
	static char out[65536];
	uint8_t image[4096];

	/* Its zmm upper halves would lie past the image: refused, not shown as zeros. */
	write_file(layout_path, outside, strlen(outside));
	fpstate_init_uabi(image, sizeof(image));
	write_file(xsave_path, image, sizeof(image));
	ck_assert_int_eq(show(xsave_path, out, sizeof(out)), FPVM_EXIT_DATAERR);
	ck_assert_msg(strstr(out, "vcpu0.layout:16: component 7 (hi16_zmm) ends at 4608, outside "
			      "the image's 4096 bytes\n"), "%s", out);
	ck_assert_ptr_null(strstr(out, "zmm16"));
	/* XSTATE_BV of x87 and SSE alone: the AVX-512 registers are init values, and said so. */
	write_file(layout_path, amd, strlen(amd));
	image[512] = 0x3;
	write_file(xsave_path, image, sizeof(image));
	ck_assert_int_eq(show(xsave_path, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\ninit       avx,opmask,zmm_hi256,hi16_zmm (not in XSTATE_BV: "
			      "init values, not the image's bytes)\n"), "%s", out);
	image[512] = 0xe7;
	write_file(xsave_path, image, sizeof(image));
	ck_assert_int_eq(show(xsave_path, out, sizeof(out)), 0);
	ck_assert_ptr_null(strstr(out, "\ninit "));
}
END_TEST

/* ---- files read and created through base/file.h ---- */

START_TEST(fifos_and_directories_are_refused_at_once)
{
	write_file(layout_path, amd, strlen(amd));
	ck_assert_int_eq(mkfifo(xsave_path, 0600), 0);
	ck_assert_int_lt(fpstate_file_load(xsave_path, &sf, &err), 0);
	ck_assert_str_eq(strstr(err.msg, "vcpu0.xsave"),
			 "vcpu0.xsave: is a FIFO, not a regular file");
	unlink(xsave_path);
	ck_assert_int_eq(mkdir(xsave_path, 0700), 0);
	ck_assert_int_lt(fpstate_file_load(xsave_path, &sf, &err), 0);
	ck_assert_str_eq(strstr(err.msg, "vcpu0.xsave"), "vcpu0.xsave: is a directory");
	rmdir(xsave_path);
	write_file(xsave_path, "", 0);
	unlink(layout_path);
	ck_assert_int_eq(mkfifo(layout_path, 0600), 0);
	ck_assert_int_lt(fpstate_file_load(xsave_path, &sf, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "vcpu0.layout: is a FIFO, not a regular file"));
}
END_TEST

START_TEST(save_never_writes_through_links)
{
	struct xstate_layout l = cpuid_fixture_layout("cpuid/amd-epyc-avx512-pvm-host.txt", true);
	char victim[128], layout_text[4096];
	struct fpstate fps;
	FILE *f;
	size_t n;

	ck_assert_int_eq(fpstate_alloc(&fps, &l, 0xe7, 4096, true, &err), 0);
	fpstate_init_uabi(fps.buf, fps.size);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_file(victim, "precious", 8);
	ck_assert_int_eq(symlink(victim, xsave_path), 0);
	ck_assert_int_lt(fpstate_file_save(dir, 0, &fps, 0xe7, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/vcpu0.xsave: a symbolic link"));
	ck_assert_ptr_nonnull(strstr(err.msg, dir));
	f = fopen(victim, "r");
	ck_assert_uint_eq(fread(layout_text, 1, sizeof(layout_text), f), 8);
	fclose(f);
	unlink(xsave_path);
	/* Written whole, the layout as fpstate_layout_format() gives it. */
	ck_assert_int_eq(fpstate_file_save(dir, 0, &fps, 0xe7, &err), 0);
	f = fopen(layout_path, "r");
	n = fread(layout_text, 1, sizeof(layout_text) - 1, f);
	fclose(f);
	layout_text[n] = '\0';
	ck_assert_ptr_nonnull(strstr(layout_text, "\ncomponent = 7 1408 1024 0x0\n"));
	ck_assert_int_eq(fpstate_file_load(xsave_path, &sf, &err), 0);
	ck_assert_mem_eq(sf.buf, fps.buf, fps.size);
	fpstate_free(&fps);
}
END_TEST

/* ---- the in-memory API ---- */


START_TEST(text_round_trip)
{
	/* KVM's table where the fixture has one, the host's raw CPUID of each. */
	static const struct {
		const char *name;
		bool kvm;
	} fixtures[] = {
		{ "cpuid/amd-epyc-avx512-pvm-host.txt", true },
		{ "cpuid/amd-epyc-avx512-pvm-host.txt", false },
		{ "cpuid/intel-sapphire-rapids.txt", false },
		{ "cpuid/intel-skylake-sp.txt", false },
		{ "cpuid/intel-xeon-avx512-pvm-host.txt", true },
		{ "cpuid/intel-xeon-avx512-pvm-host.txt", false },
	};
	struct fpstate_file again;

	for (unsigned int i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		{
			const char *name = fixtures[i].name;
			struct xstate_layout l = cpuid_fixture_layout(name, fixtures[i].kvm);
			uint64_t user = l.xcr0_supported & KVM_SUPPORTED_XCR0;
			uint32_t size = xstate_size_standard(&l, user);
			struct fpstate fps = {
				.layout = &l, .xfeatures = user | (l.xss_supported &
								   XFEATURE_MASK_GUEST_SUPERVISOR),
				.size = size > XSAVE_UABI_MIN ? size : XSAVE_UABI_MIN,
				.is_guest = true,
			};
			size_t len;
			char *text;

			if (!l.xcr0_supported)
				continue;
			text = fpstate_layout_format(&fps, user, 3, &len);
			ck_assert_ptr_nonnull(text);
			ck_assert_uint_eq(strlen(text), len);
			ck_assert_msg(!fpstate_layout_parse(text, len, name, &again, &err),
				      "%s: %s\n%s", name, err.msg, text);
			ck_assert_mem_eq(&again.layout, &l, sizeof(l));
			ck_assert_uint_eq(again.xfeatures, fps.xfeatures);
			ck_assert_uint_eq(again.xcr0, user);
			ck_assert_uint_eq(again.size, fps.size);
			ck_assert_int_eq(again.vcpu, 3);
			ck_assert(again.is_guest);
			ck_assert_ptr_null(again.buf);
			free(text);
		}
	}
}
END_TEST

START_TEST(image_set_in_memory)
{
	uint8_t image[4096];

	ck_assert_int_eq(fpstate_layout_parse(amd, strlen(amd), "snap/vcpu0.layout", &sf, &err), 0);
	ck_assert_int_eq(fpstate_file_set_image(&sf, image, 4000, "snap/vcpu0.xsave", &err),
			 -EINVAL);
	ck_assert_str_eq(err.msg, "snap/vcpu0.xsave: 4000 bytes, but its layout says 4096");
	ck_assert_ptr_null(sf.buf);
	fpstate_init_uabi(image, sizeof(image));
	ck_assert_int_eq(fpstate_file_set_image(&sf, image, sizeof(image), "x", &err), 0);
	ck_assert_uint_eq((uintptr_t)sf.buf % 64, 0);
	ck_assert_mem_eq(sf.buf, image, sizeof(image));
	fpstate_file_free(&sf);
	/* The name labels every message, the line number after it. */
	ck_assert_int_lt(fpstate_layout_parse(amd, strlen(amd) - 2, "snap/vcpu0.layout", &sf,
					      &err), 0);
	ck_assert_str_eq(err.msg, "snap/vcpu0.layout:16: component flags: '0x' is not a "
			 "hexadecimal number");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("issue-20-7");
	TCase *files = tcase_create("files");
	TCase *io = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, v1_files_load);
	tcase_add_loop_test(tc, edits_are_refused, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, missing_keys_are_refused);
	tcase_add_test(tc, long_lines_are_refused_whole);
	tcase_add_test(tc, whole_layouts_accepted);
	tcase_add_test(tc, a_nul_byte_is_refused);
	tcase_add_test(tc, show_never_prints_what_it_did_not_read);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(files, setup, teardown);
	tcase_add_test(files, fifos_and_directories_are_refused_at_once);
	tcase_add_test(files, save_never_writes_through_links);
	suite_add_tcase(s, files);
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_test(io, text_round_trip);
	tcase_add_test(io, image_set_in_memory);
	suite_add_tcase(s, io);
	return run_suite(s);
}
