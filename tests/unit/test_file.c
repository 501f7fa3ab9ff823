// SPDX-License-Identifier: MIT
/* base/file.c: hostile paths neither block a read nor redirect a write. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/file.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/fpvm-test-file-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* A test that blocks is killed by Check's timeout, not left hanging. */
	alarm(10);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	alarm(0);
}

/* Two calls may stand in one expression: the buffers take turns. */
static const char *at(const char *name)
{
	static char path[2][128];
	static unsigned int turn;
	char *p = path[turn++ & 1];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(reads_a_regular_file_whole)
{
	struct fpvm_error err = { 0 };
	uint8_t *buf;
	size_t len;

	put("a", "hello");
	ck_assert_int_eq(file_read_regular(AT_FDCWD, at("a"), 0, 100, FPVM_ERR_INPUT, &buf, &len,
					   &err), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq((char *)buf, "hello");
	free(buf);
}
END_TEST

START_TEST(a_fifo_is_refused_without_blocking)
{
	struct fpvm_error err = { 0 };
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(mkfifo(at("p"), 0600), 0);
	ck_assert_int_eq(file_read_regular(AT_FDCWD, at("p"), 0, 100, FPVM_ERR_INPUT, &buf, &len,
					   &err), -EINVAL);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a FIFO, not a regular file"));
	ck_assert_int_eq(file_create(AT_FDCWD, at("p"), 0644, &err), -ENXIO);
	ck_assert_int_eq(err.cls, FPVM_ERR_OUTPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a FIFO"));
}
END_TEST

START_TEST(a_directory_and_a_large_file_are_named)
{
	struct fpvm_error err = { 0 };
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(file_read_regular(AT_FDCWD, dir, 0, 100, FPVM_ERR_INPUT, &buf, &len,
					   &err), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a directory"));
	put("big", "0123456789");
	ck_assert_int_eq(file_read_regular(AT_FDCWD, at("big"), 0, 9, FPVM_ERR_INPUT, &buf, &len,
					   &err), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 9 bytes"));
	ck_assert_int_eq(file_read_regular(AT_FDCWD, at("big"), 0, 10, FPVM_ERR_INPUT, &buf,
					   &len, &err), 0);
	ck_assert_uint_eq(len, 10);
	free(buf);
	ck_assert_int_eq(file_read_regular(AT_FDCWD, "", 0, 10, FPVM_ERR_INPUT, &buf, &len, &err),
			 -ENOENT);
}
END_TEST

START_TEST(links_are_refused_where_asked)
{
	struct fpvm_error err = { 0 };
	uint8_t *buf;
	size_t len;
	struct stat st;

	put("victim", "keep me");
	ck_assert_int_eq(symlink(at("victim"), at("link")), 0);
	ck_assert_int_eq(file_read_regular(AT_FDCWD, at("link"), FILE_NOFOLLOW, 100,
					   FPVM_ERR_INPUT, &buf, &len, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "a symbolic link"));
	ck_assert_int_eq(file_create(AT_FDCWD, at("link"), 0644, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not write through links"));
	ck_assert_int_eq(stat(at("victim"), &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	/* A dangling link is not followed to create its target either. */
	ck_assert_int_eq(symlink(at("outside"), at("dangling")), 0);
	ck_assert_int_eq(file_create(AT_FDCWD, at("dangling"), 0644, &err), -ELOOP);
	ck_assert_int_eq(access(at("outside"), F_OK), -1);
}
END_TEST

START_TEST(create_truncates_a_regular_file)
{
	struct fpvm_error err = { 0 };
	struct stat st;
	int fd;

	put("out", "old content");
	fd = file_create(AT_FDCWD, at("out"), 0600, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_write_all(fd, "new", 3), 0);
	close(fd);
	ck_assert_int_eq(stat(at("out"), &st), 0);
	ck_assert_int_eq(st.st_size, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_a_regular_file_whole);
	tcase_add_test(tc, a_fifo_is_refused_without_blocking);
	tcase_add_test(tc, a_directory_and_a_large_file_are_named);
	tcase_add_test(tc, links_are_refused_where_asked);
	tcase_add_test(tc, create_truncates_a_regular_file);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
