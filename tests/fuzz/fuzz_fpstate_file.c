// SPDX-License-Identifier: MIT
/*
 * Fuzz target: saved fpstates (fpstate/file.c) and what fpvm fpstate
 * show, diff and check do with one once loaded (cmd/cmd_fpstate.c).
 *
 * The loader takes a path NAME.xsave and finds NAME.layout beside it, so
 * the input holds both files: the .layout text up to the first NUL byte,
 * the .xsave buffer after it (no NUL: an empty .xsave).  Both are written
 * to a new temporary directory, loaded, and removed with it.
 *
 * Printing a state (show, and diff where registers differ) is a thousand
 * fprintf calls, 25 times the cost of the rest: under libFuzzer it runs
 * for one input in PRINT_EVERY, picked by a hash of the input so that a
 * crash there reproduces; replaying a corpus prints every input.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../../fpstate/fpstate.h"
#include "fuzz.h"

#ifdef FUZZ_REPLAY
#define PRINT_EVERY 1
#else
#define PRINT_EVERY 64
#endif

static char tmp_template[4096];
static FILE *devnull;

static void teardown(void)
{
	fclose(devnull);
}

/*
 * Where the files go, and /dev/null for what the commands print.  Without
 * TMPDIR, /dev/shm: writing and removing the files is most of the time an
 * input takes once printing is sampled, and a disk's /tmp triples it.
 */
static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK | X_OK) ? "/tmp" : "/dev/shm";
	snprintf(tmp_template, sizeof(tmp_template), "%s/fpvm-fuzz-fpstate-XXXXXX", tmp);
	devnull = fopen("/dev/null", "w");
	if (!devnull) {
		fprintf(stderr, "fuzz_fpstate_file: /dev/null: %s\n", strerror(errno));
		exit(1);
	}
	atexit(teardown);
}

/* A file that cannot be written is this machine's problem, not a finding. */
static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	while (fd >= 0 && len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
	if (fd < 0 || len || close(fd)) {
		fprintf(stderr, "fuzz_fpstate_file: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* fpvm fpstate check, as a guest fpstate and with --host. */
static void check(struct fpstate_file *f, bool is_guest)
{
	struct fpstate fps = {
		.layout = &f->layout, .xfeatures = f->xfeatures, .size = f->size,
		.is_guest = is_guest, .buf = f->buf,
	};
	struct fpstate_diag d;
	int r = fpstate_validate_uabi(&fps, f->buf, f->size, &d);

	FUZZ_ASSERT(d.nr <= FPSTATE_DIAG_MAX && d.nr <= d.nr_errors + d.nr_warnings);
	FUZZ_ASSERT((r != 0) == (d.nr_errors != 0));
	for (unsigned int i = 0; i < d.nr; i++)
		FUZZ_ASSERT(memchr(d.item[i].msg, '\0', sizeof(d.item[i].msg)));
}

/*
 * Which inputs print: a hash of all of the input, since a mutation must
 * re-roll the choice (hashing a sample, most mutations would keep it, and
 * printing inputs would breed printing inputs).  Eight bytes a step, as
 * each step costs a traced comparison.
 */
static bool prints(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull ^ size, w;
	size_t i;

	for (i = 0; i + 8 <= size; i += 8) {
		memcpy(&w, data + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	for (; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return (h >> 32) % PRINT_EVERY == 0;
}

/*
 * fpvm fpstate show (text and JSON), then diff: against itself, where
 * nothing may differ, and against the state a vCPU starts with, decoded
 * by the same layout, as two files from one machine would be.
 */
static void show_and_diff(const struct fpstate_file *f, bool print)
{
	struct fpregs *r = malloc(sizeof(*r)), *init = malloc(sizeof(*init));
	uint8_t *init_buf = aligned_alloc(64, (f->size + 63) & ~63U);

	FUZZ_ASSERT(r && init && init_buf);
	FUZZ_ASSERT(!fpstate_decode(&f->layout, f->xfeatures, f->buf, f->size, r));
	FUZZ_ASSERT(fpregs_diff(devnull, r, r, false) == 0);
	fpstate_init_uabi(init_buf, f->size);
	FUZZ_ASSERT(!fpstate_decode(&f->layout, f->xfeatures, init_buf, f->size, init));
	if (print) {
		fpregs_print_text(devnull, r);
		fpregs_print_json(devnull, r);
		FUZZ_ASSERT(fpregs_diff(devnull, r, r, true) == 0);
		FUZZ_ASSERT(fpregs_diff(devnull, r, init, false) ==
			    fpregs_diff(devnull, r, init, true));
	}
	free(init_buf);
	free(init);
	free(r);
}

/*
 * Writes the two files into a new directory and loads them.  Everything is
 * removed before the state is used, so that an input crashing what comes
 * after the loader leaves nothing behind.
 */
static int load(const uint8_t *layout, size_t layout_len, const uint8_t *xsave,
		size_t xsave_len, struct fpstate_file *f, struct fpstate_error *err)
{
	char dir[sizeof(tmp_template)], xsave_path[sizeof(dir) + 16], layout_path[sizeof(dir) + 16];
	int r;

	memcpy(dir, tmp_template, sizeof(dir));
	if (!mkdtemp(dir)) {
		fprintf(stderr, "fuzz_fpstate_file: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	snprintf(xsave_path, sizeof(xsave_path), "%s/vcpu0.xsave", dir);
	snprintf(layout_path, sizeof(layout_path), "%s/vcpu0.layout", dir);
	write_file(layout_path, layout, layout_len);
	write_file(xsave_path, xsave, xsave_len);
	r = fpstate_file_load(xsave_path, f, err);
	unlink(xsave_path);
	unlink(layout_path);
	rmdir(dir);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t layout_len = nul ? (size_t)(nul - data) : size;
	const uint8_t *xsave = nul ? nul + 1 : data + size;
	size_t xsave_len = (size_t)(data + size - xsave);
	struct fpstate_error err = { { 0 } };
	struct fpstate_file f;

	if (!ready) {
		setup();
		ready = true;
	}
	if (load(data, layout_len, xsave, xsave_len, &f, &err)) {
		FUZZ_ASSERT(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
		FUZZ_ASSERT(!f.buf);
		return 0;
	}
	/* What was loaded is the .xsave file, whole and unchanged. */
	FUZZ_ASSERT(f.buf && f.size == xsave_len && f.size >= XSAVE_EXT_OFFSET);
	FUZZ_ASSERT(!memcmp(f.buf, xsave, xsave_len));
	show_and_diff(&f, prints(data, size));
	check(&f, true);
	check(&f, false);
	fpstate_file_free(&f);
	return 0;
}
