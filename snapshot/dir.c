// SPDX-License-Identifier: MIT
/*
 * The snapshot directory: DIR/manifest names a generation, DIR/gen-N holds
 * its parts (snapshot.h has the rule).  A new snapshot is written aside,
 * synced, and made the snapshot by one rename of its manifest, the way
 * databases and package managers replace what must survive a crash: the
 * earlier snapshot stays whole on the disk until the new one is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/file.h"
#include "internal.h"

/* A directory inside @dirfd, never through a link. */
static int open_subdir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* ---- reading ---- */

int snapshot_manifest_read(int dirfd, struct snapshot_manifest *m, struct fpvm_error *err)
{
	uint8_t *text;
	size_t len;
	int r;

	memset(m, 0, sizeof(*m));
	r = file_read_regular(dirfd, "manifest", FILE_NOFOLLOW, SNAPSHOT_MANIFEST_MAX,
			      FPVM_ERR_INPUT, &text, &len, err);
	if (r == -ENOENT)
		return fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: manifest: missing (not a "
				 "snapshot, or one whose writing did not finish)");
	if (r == -EFBIG)
		return fpvm_fail(err, FPVM_ERR_INPUT, EFBIG, "snapshot: manifest: more than the "
				 "1 MiB a manifest may have");
	if (r)
		return snapshot_prefix(err, "snapshot: ", r);
	r = snapshot_manifest_parse((const char *)text, len, m, err);
	free(text);
	return r;
}

int snapshot_open(const char *path, struct snapshot_dir *d, struct fpvm_error *err)
{
	char gen[16];
	int r;

	*d = (struct snapshot_dir){ .fd = -1, .parts_fd = -1 };
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return fpvm_fail(err, FPVM_ERR_INPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	r = snapshot_manifest_read(d->fd, &d->m, err);
	if (r)
		goto fail;
	if (d->m.format == SNAPSHOT_FORMAT_FLAT) {
		d->parts_fd = open_subdir(d->fd, ".");
	} else {
		snapshot_gen_name(gen, d->m.generation);
		d->parts_fd = open_subdir(d->fd, gen);
	}
	if (d->parts_fd >= 0)
		return 0;
	r = d->parts_fd == -ENOENT ?
	    fpvm_fail(err, FPVM_ERR_INPUT, ENOENT, "snapshot: %s: missing, but the manifest "
		      "names it", gen) :
	    fpvm_fail(err, FPVM_ERR_INPUT, -d->parts_fd, "snapshot: %s: %s", gen,
		      d->parts_fd == -ELOOP || d->parts_fd == -ENOTDIR ? "not a directory" :
		      strerror(-d->parts_fd));
fail:
	snapshot_close(d);
	return r;
}

void snapshot_close(struct snapshot_dir *d)
{
	if (d->parts_fd >= 0)
		close(d->parts_fd);
	if (d->fd >= 0)
		close(d->fd);
	snapshot_manifest_free(&d->m);
	*d = (struct snapshot_dir){ .fd = -1, .parts_fd = -1 };
}

int snapshot_verify_unread(struct snapshot_dir *d, struct fpvm_error *err)
{
	for (unsigned int i = 0; i < d->m.nr_parts; i++) {
		const struct snapshot_part *p = &d->m.parts[i];
		int r;

		if ((p->flags & SNAPSHOT_PART_CHECKED) || !strcmp(p->name, SNAPSHOT_MEMORY))
			continue;
		r = snapshot_part_verify(d, p->name, err);
		if (r)
			return r;
	}
	return 0;
}

/* ---- removing what is not the snapshot ---- */

/*
 * Empties and removes DIR/@name: a generation, which holds files only.  A
 * link or a file there is removed itself, never followed.  Best effort:
 * what stays is tried again by the next writer.
 */
static void remove_gen(struct snapshot_writer *w, const char *name)
{
	int fd = open_subdir(w->fd, name);
	struct dirent *e;
	DIR *dir;

	if (fd < 0) {
		snapshot_step(w);
		unlinkat(w->fd, name, 0);
		return;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snapshot_step(w);
			unlinkat(fd, e->d_name, 0);
		}
	closedir(dir);
	snapshot_step(w);
	unlinkat(w->fd, name, AT_REMOVEDIR);
}

/*
 * What interrupted writers left: manifest.tmp and every generation but the
 * one the manifest names.  Removed before anything is written, so that
 * their room is free for the new one.  Returns the highest number seen.
 */
static unsigned int remove_leftovers(struct snapshot_writer *w)
{
	int fd = open_subdir(w->fd, ".");	/* not dup(): the VMM's seccomp list has no dup */
	unsigned int highest = w->old_gen;
	struct dirent *e;
	DIR *dir;

	snapshot_step(w);
	unlinkat(w->fd, "manifest.tmp", 0);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return highest;
	}
	/*
	 * The highest number first, before anything is removed: the new
	 * generation is numbered above every one seen, so that it never meets
	 * a leftover that could not be removed.
	 */
	while ((e = readdir(dir))) {
		unsigned int n = snapshot_gen_number(e->d_name);

		if (n > highest)
			highest = n;
	}
	rewinddir(dir);
	while ((e = readdir(dir))) {
		unsigned int n = snapshot_gen_number(e->d_name);

		if (n && n != w->old_gen)
			remove_gen(w, e->d_name);
	}
	closedir(dir);
	return highest;
}

/* ---- writing ---- */

static int dir_fail(struct snapshot_writer *w, const char *what, int e, struct fpvm_error *err)
{
	return fpvm_fail(err, FPVM_ERR_OUTPUT, e, "snapshot %s: %s: %s", w->path, what, strerror(e));
}

/*
 * DIR opened (made, if it is not there), the snapshot it holds now read
 * (keep: also what it lists), the leftovers removed, the new generation's
 * directory made.
 */
static int begin(struct snapshot_writer *w, const char *path, bool keep, struct fpvm_error *err)
{
	struct fpvm_error ignored;
	char gen[16];
	unsigned int highest;
	int r;

	w->fd = w->gen_fd = w->from_fd = -1;
	w->path = path;
	w->gen = w->old_gen = 0;
	w->created = false;
	snapshot_manifest_init(&w->m);
	memset(&w->old, 0, sizeof(w->old));
	if (mkdir(path, 0755) == 0)
		w->created = true;
	else if (errno != EEXIST)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	w->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0)
		return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "snapshot %s: %s", path,
				 strerror(errno));
	/*
	 * A manifest that is missing, damaged or not a file names no snapshot:
	 * there is none to keep.  One that could not be read (out of memory,
	 * an I/O error) may name one: then nothing is touched.
	 */
	r = snapshot_manifest_read(w->fd, &w->old, &ignored);
	if (r && (keep || (r != -ENOENT && r != -EINVAL && r != -EFBIG && r != -EISDIR &&
			   r != -ELOOP))) {
		*err = ignored;
		snapshot_write_abort(w);
		return r;
	}
	w->old_gen = r ? 0 : w->old.generation;
	highest = remove_leftovers(w);
	if (highest >= SNAPSHOT_MAX_GEN) {
		snapshot_write_abort(w);
		return fpvm_fail(err, FPVM_ERR_OUTPUT, EOVERFLOW, "snapshot %s: generation %u is "
				 "the last there is", path, highest);
	}
	w->gen = highest + 1;
	snapshot_gen_name(gen, w->gen);
	snapshot_step(w);
	if (mkdirat(w->fd, gen, 0755)) {
		r = dir_fail(w, gen, errno, err);
		w->gen = 0;
		snapshot_write_abort(w);
		return r;
	}
	w->gen_fd = open_subdir(w->fd, gen);
	if (w->gen_fd < 0) {
		r = dir_fail(w, gen, -w->gen_fd, err);
		snapshot_write_abort(w);
		return r;
	}
	return 0;
}

int snapshot_write_begin(struct snapshot_writer *w, const char *path, struct fpvm_error *err)
{
	return begin(w, path, false, err);
}

int snapshot_edit_begin(struct snapshot_writer *w, const char *path, struct fpvm_error *err)
{
	char gen[16];
	int r = begin(w, path, true, err);

	if (r)
		return r;
	w->from_fd = w->old.format == SNAPSHOT_FORMAT_FLAT ? open_subdir(w->fd, ".") :
		     (snapshot_gen_name(gen, w->old_gen), open_subdir(w->fd, gen));
	if (w->from_fd < 0) {
		r = fpvm_fail(err, FPVM_ERR_INPUT, -w->from_fd, "snapshot %s: the parts of the "
			      "snapshot there: %s", path, strerror(-w->from_fd));
		snapshot_write_abort(w);
		return r;
	}
	/* Its header and parts, none of them written into the new generation yet. */
	free(w->m.parts);
	w->m = w->old;
	w->m.parts = NULL;
	w->m.nr_parts = 0;
	for (unsigned int i = 0; i < w->old.nr_parts; i++) {
		const struct snapshot_part *p = &w->old.parts[i];

		if (snapshot_part_append(&w->m, p->name, p->size, p->crc)) {
			snapshot_write_abort(w);
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Edit: every part not written again, linked from the snapshot it replaces. */
static int link_kept(struct snapshot_writer *w, struct fpvm_error *err)
{
	for (unsigned int i = 0; w->from_fd >= 0 && i < w->m.nr_parts; i++) {
		const struct snapshot_part *p = &w->m.parts[i];

		if (p->flags & SNAPSHOT_PART_WRITTEN)
			continue;
		snapshot_step(w);
		if (linkat(w->from_fd, p->name, w->gen_fd, p->name, 0))
			return fpvm_fail(err, FPVM_ERR_OUTPUT, errno, "snapshot %s: part %s: "
					 "cannot keep it: %s", w->path, p->name, strerror(errno));
	}
	return 0;
}

/* The new manifest, checked with the parser, as manifest.tmp on the disk. */
static int write_manifest_tmp(struct snapshot_writer *w, struct fpvm_error *err)
{
	struct snapshot_manifest check;
	size_t len;
	char *text;
	int fd, r;

	w->m.format = SNAPSHOT_FORMAT;
	w->m.generation = w->gen;
	r = snapshot_manifest_format(&w->m, &text, &len, err);
	if (r)
		return r;
	/* What this fpvm would refuse to read is not worth a snapshot. */
	r = snapshot_manifest_parse(text, len, &check, err);
	if (r) {
		free(text);
		err->cls = FPVM_ERR_OUTPUT;
		return r;
	}
	snapshot_manifest_free(&check);
	snapshot_step(w);
	fd = file_create(w->fd, "manifest.tmp", 0644, err);
	if (fd < 0) {
		free(text);
		return snapshot_prefix(err, "snapshot: ", fd);
	}
	r = file_write_all(fd, text, len);
	free(text);
	if (!r && fdatasync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	return r ? fpvm_fail(err, FPVM_ERR_OUTPUT, -r, "snapshot: manifest.tmp: %s",
			     strerror(-r)) : 0;
}

/* The parent of a DIR made here: its entry for DIR on the disk too. */
static void sync_parent(const char *path)
{
	size_t len = strlen(path);
	char *parent = malloc(len + 4);
	int fd;

	if (!parent)
		return;
	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len && path[len - 1] != '/')
		len--;
	snprintf(parent, len + 4, "%.*s", len ? (int)len : 1, len ? path : ".");
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(parent);
}

/* After the switch: the replaced generation, or a format 1 snapshot's parts beside it. */
static void remove_replaced(struct snapshot_writer *w)
{
	char gen[16];

	if (w->old_gen) {
		snapshot_gen_name(gen, w->old_gen);
		remove_gen(w, gen);
		return;
	}
	for (unsigned int i = 0; w->old.format == SNAPSHOT_FORMAT_FLAT && i < w->old.nr_parts; i++) {
		snapshot_step(w);
		unlinkat(w->fd, w->old.parts[i].name, 0);
	}
}

/*
 * Everything the writer holds let go; with @remove, the new generation
 * too, which no manifest names: the earlier snapshot is what stays.  w->gen
 * stays the generation written.
 */
static void finish(struct snapshot_writer *w, bool remove)
{
	char gen[16];

	if (w->gen_fd >= 0)
		close(w->gen_fd);
	if (w->from_fd >= 0)
		close(w->from_fd);
	if (remove && w->gen && w->fd >= 0) {
		unlinkat(w->fd, "manifest.tmp", 0);
		snapshot_gen_name(gen, w->gen);
		remove_gen(w, gen);
	}
	if (w->fd >= 0)
		close(w->fd);
	snapshot_manifest_free(&w->m);
	snapshot_manifest_free(&w->old);
	w->fd = w->gen_fd = w->from_fd = -1;
	if (remove)
		w->gen = 0;
}

int snapshot_write_commit(struct snapshot_writer *w, struct fpvm_error *err)
{
	int r = link_kept(w, err);

	if (r)
		goto fail;
	/* Every part and the generation's directory entry on the disk, before the manifest. */
	snapshot_step(w);
	if (fsync(w->gen_fd) || fsync(w->fd)) {
		r = dir_fail(w, "sync", errno, err);
		goto fail;
	}
	r = write_manifest_tmp(w, err);
	if (r)
		goto fail;
	snapshot_step(w);
	if (renameat(w->fd, "manifest.tmp", w->fd, "manifest")) {
		r = dir_fail(w, "manifest", errno, err);
		goto fail;
	}
	/* The rename on the disk: from here a crash leaves the new snapshot. */
	snapshot_step(w);
	if (fsync(w->fd)) {
		/* The manifest may name the new generation now: it stays. */
		r = dir_fail(w, "sync", errno, err);
		finish(w, false);
		return r;
	}
	if (w->created)
		sync_parent(w->path);
	remove_replaced(w);
	finish(w, false);
	return 0;
fail:
	finish(w, true);
	return r;
}

void snapshot_write_abort(struct snapshot_writer *w)
{
	finish(w, true);
}
