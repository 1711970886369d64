/* notify.c - the sd_notify protocol by hand: one datagram per call to the
 * AF_UNIX socket named in $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace).  See sd_notify(3) for the fields.
 *
 * Library code: never logs, never fails the caller.  A lost notification
 * is systemd's to notice (a start timeout, a missed watchdog), and logging
 * from here would only repeat that.  One socket stays open for the life of
 * the process (CLOEXEC, so nothing we run inherits it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* What systemd told us, read once by notify_init() (or lazily). */
static struct {
	int initialised;
	int fd;                           /* -1: not opened yet */
	struct sockaddr_un addr;
	socklen_t addr_len;               /* 0: no NOTIFY_SOCKET, no-op */
	uint64_t watchdog_usec;
} notify = { .fd = -1 };

/* Fills addr from $NOTIFY_SOCKET; returns the address length or 0. */
static socklen_t notify_address(const char *name, struct sockaddr_un *addr)
{
	size_t len;

	if (!name || (name[0] != '/' && name[0] != '@'))
		return 0;
	len = strlen(name);
	if (len < 2 || len > sizeof(addr->sun_path))
		return 0;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, name, len);
	if (addr->sun_path[0] == '@')
		addr->sun_path[0] = '\0';     /* abstract: no trailing NUL */
	else if (len == sizeof(addr->sun_path))
		return 0;                     /* a path needs its NUL */
	else
		len++;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

/* Strict decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* WATCHDOG_USEC, but only when WATCHDOG_PID (if set) names us: a child
 * that inherited the environment must not ping for its parent. */
static uint64_t watchdog_from_env(void)
{
	const char *pid_text = getenv("WATCHDOG_PID");
	uint64_t usec, pid;

	if (parse_u64(getenv("WATCHDOG_USEC"), &usec) || usec == 0)
		return 0;
	if (pid_text && (parse_u64(pid_text, &pid) ||
			 pid != (uint64_t)getpid()))
		return 0;
	return usec;
}

int notify_init(void)
{
	if (notify.fd >= 0)
		close(notify.fd);
	notify.fd = -1;
	notify.addr_len = notify_address(getenv("NOTIFY_SOCKET"), &notify.addr);
	notify.watchdog_usec = watchdog_from_env();
	notify.initialised = 1;
	return 0;
}

static void notify_send(const char *text)
{
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!notify.initialised)
		notify_init();
	if (notify.addr_len == 0)
		return;
	if (notify.fd < 0) {
		notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (notify.fd < 0)
			return;
	}
	msg.msg_name = &notify.addr;
	msg.msg_namelen = notify.addr_len;
	/* Never block the event loop on a full queue (the notification is
	 * lost, and systemd's timeouts say so); never raise SIGPIPE. */
	while (sendmsg(notify.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	       errno == EINTR)
		;
}

/* "PREFIX" + status, with newlines in status (which would start a new
 * field) replaced by spaces. */
static void notify_send_status(const char *prefix, const char *status)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s%s", prefix, status ? status : "");
	if (n < 0)
		return;
	for (size_t i = strlen(prefix); buf[i]; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	notify_send(buf);
}

void notify_ready(const char *status)
{
	if (status)
		notify_send_status("READY=1\nSTATUS=", status);
	else
		notify_send("READY=1");
}

void notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	/* systemd (253+) takes MONOTONIC_USEC to tell this reload from an
	 * earlier one; older systemd ignores it. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return;
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	notify_send(buf);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

void notify_status(const char *status)
{
	notify_send_status("STATUS=", status);
}

uint64_t notify_watchdog_usec(void)
{
	if (!notify.initialised)
		notify_init();
	return notify.watchdog_usec;
}
