// SPDX-License-Identifier: GPL-2.0-only
/* The sd_notify(3) messages meshgw sends: a unix datagram socket is bound, by path
 * and by abstract name ("@..."), $NOTIFY_SOCKET pointed at it, and what arrives is
 * read back. Without $NOTIFY_SOCKET nothing is sent and nothing fails; a bad
 * address is -EINVAL; a socket nobody listens on is an error the caller sees. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "tap.h"
#include "lib/notify.h"

/* A bound datagram socket at name (a path, or "@abstract"); -1 on failure. */
static int listen_at(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram on fd, NUL-terminated, "" when none is waiting. */
static const char *next_msg(int fd)
{
	static char buf[600];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	char path[64], abstract[64];
	int fd, err;

	unsetenv("NOTIFY_SOCKET");
	tap_ok(notify_send("READY=1") == 0, "no NOTIFY_SOCKET: nothing sent, no error");

	snprintf(path, sizeof(path), "/tmp/meshgw-notify.%d", (int)getpid());
	unlink(path);
	fd = listen_at(path);
	if (fd < 0)
		tap_skip_all("cannot bind a unix datagram socket in /tmp");
	setenv("NOTIFY_SOCKET", path, 1);
	err = notify_send("READY=1\nSTATUS=site %s, %d peers", "a", 2);
	tap_ok(err == 0, "path socket: sent (%d)", err);
	tap_ok(!strcmp(next_msg(fd), "READY=1\nSTATUS=site a, 2 peers"), "path socket: READY=1 and STATUS read back");
	notify_send("STOPPING=1");
	tap_ok(!strcmp(next_msg(fd), "STOPPING=1"), "path socket: STOPPING=1");
	close(fd);
	unlink(path);
	err = notify_send("READY=1");
	tap_ok(err == -ENOENT || err == -ECONNREFUSED, "socket gone: the error is returned (%d)", err);

	snprintf(abstract, sizeof(abstract), "@meshgw-notify-test.%d", (int)getpid());
	fd = listen_at(abstract);
	tap_ok(fd >= 0, "abstract socket %s bound", abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	err = notify_send("RELOADING=1\nMONOTONIC_USEC=%llu", 42ULL);
	tap_ok(err == 0, "abstract socket: sent (%d)", err);
	tap_ok(!strcmp(next_msg(fd), "RELOADING=1\nMONOTONIC_USEC=42"), "abstract socket: RELOADING=1 read back");
	close(fd);

	setenv("NOTIFY_SOCKET", "relative/name", 1);
	tap_ok(notify_send("READY=1") == -EINVAL, "neither a path nor @name: -EINVAL");
	setenv("NOTIFY_SOCKET", "/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
	tap_ok(notify_send("READY=1") == -EINVAL, "a path longer than sun_path: -EINVAL");
	return tap_done();
}
