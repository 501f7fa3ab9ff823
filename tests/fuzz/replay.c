// SPDX-License-Identifier: MIT
/*
 * main() for the fuzz targets in the normal build, where there is no
 * libFuzzer: calls LLVMFuzzerTestOneInput once on every file named on the
 * command line and on every file in every directory named, as libFuzzer
 * does with -runs=0.  meson test replays the seed corpora this way, so the
 * targets and the code they reach are built and run by gcc on every
 * build, and a saved crash reproduces without clang: fuzz_elf FILE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static const char *prog = "fuzz";

/*
 * The input gets a buffer of exactly its size, as libFuzzer gives it, so
 * that a sanitized build catches a read one byte past its end.
 */
static int replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, path,
				n ? strerror(errno) : "shorter than its size");
			free(buf);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, done);
	free(buf);
	return 0;
}

static int skip_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Sorted, so that a run is the same on every machine. */
static int replay_dir(const char *dir, unsigned int *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, skip_hidden, alphasort), r = 0;

	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;

		if (!path) {
			fprintf(stderr, "%s: out of memory\n", prog);
			r = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, names[i]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				if (replay_file(path))
					r = -1;
				else
					(*count)++;
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int status = 0;

	if (argc > 0 && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	if (argc < 2) {
		fprintf(stderr, "Usage: %s FILE|DIR...\n"
			"Runs the fuzz target once on each FILE and on each file in each DIR.\n",
			prog);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[i], strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count))
				status = 1;
		} else if (replay_file(argv[i])) {
			status = 1;
		} else {
			count++;
		}
	}
	/* An empty corpus would pass without testing anything. */
	if (!count) {
		fprintf(stderr, "%s: no inputs found\n", prog);
		status = 1;
	}
	printf("%s: replayed %u input%s\n", prog, count, count == 1 ? "" : "s");
	return status;
}
