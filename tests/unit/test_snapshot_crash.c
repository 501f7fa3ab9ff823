// SPDX-License-Identifier: MIT
/*
 * A snapshot written over an earlier one must never leave neither: the
 * writer is killed (SIGKILL, as a crash) before every step it takes, a
 * write fails as on a full disk, links and leftovers are planted in the
 * directory; each time, what a reader finds (restore --check's checks) is
 * the earlier snapshot or the new one, whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snaptest.h"

enum found { FOUND_NONE, FOUND_EARLIER, FOUND_NEW };

/* The snapshot "B" that replaces the fixture's "SIGUSR1" one: other parts, other memory. */
static int write_b(const char *path, struct snapshot_writer *w, struct fpvm_error *e)
{
	static const char state[] = "the new vCPU state";
	uint8_t *m = map(MEM_SIZE);
	int r;

	if (!m)
		return -ENOMEM;
	for (uint64_t off = 0; off < (1 << 20); off += PAGE)
		m[off] = (uint8_t)(off >> 12 | 1);
	r = snapshot_write_begin(w, path, e);
	if (!r) {
		fill_manifest(&w->m);
		snprintf(w->m.reason, sizeof(w->m.reason), "B");
		r = snapshot_part_write(w, "vcpu0.state", state, sizeof(state), e) ?:
		    snapshot_memory_write(w, m, MEM_SIZE, e) ?:
		    snapshot_part_write(w, "devices", "b", 1, e);
		if (r)
			snapshot_write_abort(w);
		else
			r = snapshot_write_commit(w, e);
	}
	munmap(m, MEM_SIZE);
	return r;
}

/* The earlier snapshot, as the fixture's: its parts and memory. */
static void write_a(const char *path)
{
	struct snapshot_writer w = { 0 };
	struct fpvm_error e;

	ck_assert_msg(!snapshot_write_begin(&w, path, &e), "%s", e.msg);
	fill_manifest(&w.m);
	for (size_t i = 0; i < NR_PARTS; i++)
		ck_assert(!snapshot_part_write(&w, parts[i].name, part_data[i], parts[i].size, &e));
	ck_assert(!snapshot_memory_write(&w, mem, MEM_SIZE, &e));
	ck_assert_msg(!snapshot_write_commit(&w, &e), "%s", e.msg);
}

/* What restore --check finds in @path: every part whole, or nothing. */
static enum found check_dir(const char *path)
{
	struct snapshot_dir d;
	struct fpvm_error e;
	enum found f;

	if (snapshot_open(path, &d, &e)) {
		/* Neither is there: that must be said as a damaged or missing snapshot. */
		ck_assert_int_eq(e.cls, FPVM_ERR_INPUT);
		return FOUND_NONE;
	}
	ck_assert_msg(!snapshot_memory_verify(&d, &e) && !snapshot_verify_unread(&d, &e),
		      "a snapshot that is not whole: %s", e.msg);
	f = !strcmp(d.m.reason, "B") ? FOUND_NEW : FOUND_EARLIER;
	ck_assert_uint_eq(d.m.nr_parts, f == FOUND_NEW ? 3 : NR_PARTS + 1);
	snapshot_close(&d);
	return f;
}

static unsigned int kill_at;

static void crash(void *arg, unsigned int step)
{
	(void)arg;
	if (step == kill_at)
		raise(SIGKILL);
}

/* Writes B in a child killed before step @step; true if it got that far. */
static bool killed_writing_b(const char *path, unsigned int step)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct snapshot_writer w = { .crash_point = crash };
		struct fpvm_error e;

		kill_at = step;
		_exit(write_b(path, &w, &e) ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status)) {
		ck_assert_int_eq(WEXITSTATUS(status), 0);
		return false;
	}
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return true;
}

/* Only the manifest and one generation: nothing an interrupted writer left. */
static void expect_tidy(const char *path, unsigned int gen)
{
	char name[16];
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	DIR *d = fdopendir(fd);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	snprintf(name, sizeof(name), "gen-%u", gen);
	while ((e = readdir(d)))
		ck_assert_msg(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			      !strcmp(e->d_name, "manifest") || !strcmp(e->d_name, name),
			      "%s left in %s", e->d_name, path);
	closedir(d);
}

/*
 * Killed before each step of the writer in turn, over the fixture's
 * snapshot: the earlier one until the rename, the new one from it on,
 * never neither; and the next writer cleans up and succeeds.
 */
START_TEST(killed_at_every_step)
{
	unsigned int moments = 0, earlier = 0, new = 0;
	char path[700];

	for (unsigned int step = 0;; step++) {
		struct snapshot_writer w = { 0 };
		struct fpvm_error e;
		enum found f;
		bool killed;

		snprintf(path, sizeof(path), "%s/kill%u", dir, step);
		write_a(path);
		killed = killed_writing_b(path, step);
		f = check_dir(path);
		if (!killed) {
			ck_assert_int_eq(f, FOUND_NEW);
			break;
		}
		moments++;
		ck_assert_msg(f != FOUND_NONE, "killed before step %u: no snapshot left", step);
		earlier += f == FOUND_EARLIER;
		new += f == FOUND_NEW;
		/* The next writer removes what this one left, and makes its own. */
		ck_assert_msg(!write_b(path, &w, &e), "after a kill at step %u: %s", step, e.msg);
		ck_assert_int_eq(check_dir(path), FOUND_NEW);
		expect_tidy(path, w.gen);
	}
	fprintf(stderr, "snapshot writer killed at %u moments: %u earlier, %u new, 0 lost\n",
		moments, earlier, new);
	ck_assert_uint_ge(moments, 10);
	ck_assert_uint_gt(earlier, 0);
	ck_assert_uint_gt(new, 0);
}
END_TEST

/* The first snapshot killed at every step: a partial directory is refused, never half-read. */
START_TEST(first_snapshot_killed)
{
	unsigned int refused = 0;
	char path[700];

	for (unsigned int step = 0;; step++) {
		enum found f;
		bool killed;

		snprintf(path, sizeof(path), "%s/first%u", dir, step);
		killed = killed_writing_b(path, step);
		f = check_dir(path);
		if (!killed) {
			ck_assert_int_eq(f, FOUND_NEW);
			break;
		}
		ck_assert_int_ne(f, FOUND_EARLIER);
		refused += f == FOUND_NONE;
	}
	/* Every moment before the manifest's rename: at least one per part and directory. */
	ck_assert_uint_ge(refused, 5);
}
END_TEST

/*
 * A write that fails half way (here the file size limit, as a full disk
 * would): the earlier snapshot stays, and what was written is removed.
 */
START_TEST(full_disk_keeps_the_earlier)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct rlimit lim = { .rlim_cur = 256 << 10, .rlim_max = 256 << 10 };
		struct snapshot_writer w = { 0 };
		struct fpvm_error e;
		int r;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim))
			_exit(2);
		r = write_b(dir, &w, &e);
		_exit(r && strstr(e.msg, "snapshot: part memory: File too large") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(check_dir(dir), FOUND_EARLIER);
	expect_tidy(dir, 1);
}
END_TEST

/*
 * Links planted where the parts of a format 1 snapshot were, and where a
 * writer makes its own files: nothing is written through them.
 */
START_TEST(links_are_never_followed)
{
	char victim[700], outside[700], victim_dir[700];
	struct snapshot_writer w = { 0 };
	struct stat st;
	uint8_t back[16];
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(victim_dir, sizeof(victim_dir), "%s/victim-dir", base);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(write(fd, "precious", 8), 8);
	close(fd);
	ck_assert_int_eq(mkdir(victim_dir, 0755), 0);
	ck_assert_int_eq(symlinkat(victim, dfd, "vcpu0.xsave"), 0);
	ck_assert_int_eq(symlinkat(outside, dfd, "vcpu0.layout"), 0);
	ck_assert_int_eq(symlinkat(victim, dfd, "manifest.tmp"), 0);
	ck_assert_int_eq(symlinkat(victim_dir, dfd, "gen-2"), 0);
	ck_assert_int_eq(write_b(dir, &w, &err), 0);
	/* The victim as it was, the outside file never made, the directory untouched. */
	fd = open(victim, O_RDONLY);
	ck_assert_int_eq(read(fd, back, sizeof(back)), 8);
	close(fd);
	ck_assert_mem_eq(back, "precious", 8);
	ck_assert_int_eq(stat(outside, &st), -1);
	ck_assert_int_eq(rmdir(victim_dir), 0);
	ck_assert_int_eq(check_dir(dir), FOUND_NEW);
	ck_assert_uint_eq(w.gen, 3);
	/* A manifest that is a link to the victim is replaced, the victim left. */
	ck_assert_int_eq(unlinkat(dfd, "manifest", 0), 0);
	ck_assert_int_eq(symlinkat(victim, dfd, "manifest"), 0);
	ck_assert_int_eq(write_b(dir, &w, &err), 0);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_size, 8);
	ck_assert_int_eq(check_dir(dir), FOUND_NEW);
}
END_TEST

/* What interrupted writers left goes before anything is written; the new number is above it. */
START_TEST(leftovers_removed_first)
{
	struct snapshot_writer w = { 0 };
	int fd;

	ck_assert_int_eq(mkdirat(dfd, "gen-7", 0755), 0);
	fd = openat(dfd, "gen-7/memory", O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = openat(dfd, "manifest.tmp", O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(!snapshot_write_begin(&w, dir, &err), "%s", err.msg);
	ck_assert_uint_eq(w.gen, 8);
	ck_assert_int_eq(faccessat(dfd, "gen-7", F_OK, 0), -1);
	ck_assert_int_eq(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
	ck_assert_int_eq(check_dir(dir), FOUND_EARLIER);
	snapshot_write_abort(&w);
	expect_tidy(dir, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot-crash");
	TCase *tc = tcase_create("crash");

	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, write_snapshot, remove_snapshot);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, killed_at_every_step);
	tcase_add_test(tc, first_snapshot_killed);
	tcase_add_test(tc, full_disk_keeps_the_earlier);
	tcase_add_test(tc, links_are_never_followed);
	tcase_add_test(tc, leftovers_removed_first);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
