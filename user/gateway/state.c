// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "gateway/state.h"
#include "lib/log.h"
#include "lib/sysctl.h"

static void state_path(char *buf, size_t len, const char *wg_if, const char *suffix)
{
	snprintf(buf, len, MG_STATE_DIR "/%s.state%s", wg_if, suffix);
}

static void lock_path(char *buf, size_t len, const char *wg_if)
{
	snprintf(buf, len, MG_STATE_DIR "/%s.lock", wg_if);
}

int state_load(const char *wg_if, struct mg_state *st)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int ret = 0, lineno = 0;

	memset(st, 0, sizeof(*st));
	state_path(path, sizeof(path), wg_if, "");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char a[128], b[64], c[64];
		int v;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "backend %d", &v) == 1) {
			st->backend = (enum mg_backend)v;
		} else if (sscanf(line, "created_link %d", &v) == 1) {
			st->created_link = v;
		} else if (sscanf(line, "wg_pid %d", &v) == 1) {
			st->wg_pid = v;
		} else if (!strcmp(line, "exit_nat")) {
			st->exit_nat = true;
		} else if (sscanf(line, "address %63s", b) == 1) {
			if (prefix_parse(&st->address, b, false))
				goto bad;
			st->added_address = true;
		} else if (sscanf(line, "steer %u %u %d", &st->steer_mark, &st->steer_table, &v) == 3) {
			st->steer_rule = v;
		} else if (sscanf(line, "sysctl %127s %63s %63s", a, b, c) == 3 &&
			   st->n_sysctl < MG_STATE_SYSCTLS) {
			snprintf(st->sysctl[st->n_sysctl].path, sizeof(st->sysctl[0].path), "%s", a);
			snprintf(st->sysctl[st->n_sysctl].old, sizeof(st->sysctl[0].old), "%s", b);
			snprintf(st->sysctl[st->n_sysctl].set, sizeof(st->sysctl[0].set), "%s", c);
			st->n_sysctl++;
		} else {
			goto bad;
		}
	}
	fclose(f);
	return ret;
bad:
	pr_err("%s:%d: cannot parse state line", path, lineno);
	fclose(f);
	return -EBADMSG;
}

int state_save(const char *wg_if, const struct mg_state *st)
{
	char path[PATH_MAX], tmp[PATH_MAX], ps[PREFIX_STR_MAX];
	FILE *f;
	int fd;

	if (mkdir(MG_STATE_DIR, 0700) < 0 && errno != EEXIST) {
		pr_err("cannot create %s: %s", MG_STATE_DIR, strerror(errno));
		return -errno;
	}
	state_path(path, sizeof(path), wg_if, "");
	state_path(tmp, sizeof(tmp), wg_if, ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		pr_err("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	fprintf(f, "backend %d\ncreated_link %d\nwg_pid %d\n", st->backend, st->created_link,
		(int)st->wg_pid);
	if (st->added_address)
		fprintf(f, "address %s\n", prefix_str(&st->address, ps, sizeof(ps)));
	if (st->exit_nat)
		fprintf(f, "exit_nat\n");
	if (st->steer_table)
		fprintf(f, "steer %u %u %d\n", st->steer_mark, st->steer_table, st->steer_rule);
	for (int i = 0; i < st->n_sysctl; i++)
		fprintf(f, "sysctl %s %s %s\n", st->sysctl[i].path, st->sysctl[i].old,
			st->sysctl[i].set);
	if (fclose(f) || rename(tmp, path)) {
		int err = errno;

		pr_err("cannot write %s: %s", path, strerror(err));
		unlink(tmp);
		return -err;
	}
	return 0;
}

int state_remove(const char *wg_if)
{
	char path[PATH_MAX];

	state_path(path, sizeof(path), wg_if, "");
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The lock file is removed by a successful `down` (gateway_down), while held. A
 * process that opened it before and waited on its flock then holds a lock on a
 * file no longer in /run/meshgw, which a third process would not see: the lock
 * counts only when the path still names the file that fd has open. */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The lock file, created unless only_if_up: then -ENOENT when there is neither a
 * lock file nor a recorded state (nothing is up; a `down` removes the state before
 * the lock file, both under the lock). A state without its lock file (removed by
 * hand) still gets one. */
static int lock_open(const char *path, const char *wg_if, bool only_if_up)
{
	char st[PATH_MAX];
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC | (only_if_up ? 0 : O_CREAT), 0600);
	if (fd >= 0 || errno != ENOENT || !only_if_up)
		return fd < 0 ? -errno : fd;
	state_path(st, sizeof(st), wg_if, "");
	if (access(st, F_OK))
		return -ENOENT;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

static int lock_wait(const char *wg_if, bool only_if_up)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char path[PATH_MAX];
	int fd = -1, ret;

	if (mkdir(MG_STATE_DIR, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		pr_err("cannot create %s: %s", MG_STATE_DIR, strerror(errno));
		return ret;
	}
	lock_path(path, sizeof(path), wg_if);
	for (int i = 0; i < 200; i++) {
		if (fd < 0) {
			fd = lock_open(path, wg_if, only_if_up);
			if (fd == -ENOENT && only_if_up)
				return fd;
			if (fd < 0) {
				pr_err("cannot open %s: %s", path, strerror(-fd));
				return fd;
			}
		}
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			if (lock_is_current(fd, path))
				return fd;
			close(fd);	/* a `down` removed it meanwhile: take the new one */
			fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	ret = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
	if (ret == -EWOULDBLOCK)
		pr_err("%s: another meshgw up/down/run is working on it (%s held for 10 s)", wg_if, path);
	else
		pr_err("cannot lock %s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

int state_lock(const char *wg_if)
{
	return lock_wait(wg_if, false);
}

int state_lock_if_up(const char *wg_if)
{
	return lock_wait(wg_if, true);
}

/* Without O_CREAT: no lock file means no `up` since the last `down`, so nothing
 * for the caller (the daemon's rounds) to keep, and a daemon that outlives a
 * `down` must not put the file back. */
int state_trylock(const char *wg_if)
{
	char path[PATH_MAX];
	int fd, ret;

	lock_path(path, sizeof(path), wg_if);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		if (lock_is_current(fd, path))
			return fd;
		ret = -ENOENT;
	} else {
		ret = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
	}
	close(fd);
	return ret;
}

void state_unlock_remove(int fd, const char *wg_if)
{
	char path[PATH_MAX];

	lock_path(path, sizeof(path), wg_if);
	if (unlink(path) < 0 && errno != ENOENT)
		pr_warn("cannot remove %s: %s", path, strerror(errno));
	state_unlock(fd);
}

void state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int state_sysctls_restore(const struct mg_state *st, const struct mg_state *keep)
{
	int err = 0, ret;

	for (int i = 0; i < st->n_sysctl; i++) {
		char cur[64];
		bool kept = false;

		for (int k = 0; keep && k < keep->n_sysctl; k++)
			kept |= !strcmp(keep->sysctl[k].path, st->sysctl[i].path);
		if (kept || sysctl_read(st->sysctl[i].path, cur, sizeof(cur)) ||
		    strcmp(cur, st->sysctl[i].set))
			continue;
		ret = sysctl_write(st->sysctl[i].path, st->sysctl[i].old);
		if (ret && !err)
			err = ret;
	}
	return err;
}
