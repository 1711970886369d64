/* loop.c - epoll loop and timerfd helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_free(struct loop *l)
{
	while (l->sources) {
		struct loop_source *s = l->sources;

		l->sources = s->next;
		free(s);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *data)
{
	struct loop_source *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->cb = cb;
	s->data = data;
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(s);
		return err;
	}
	s->next = l->sources;
	l->sources = s;
	return 0;
}

static struct loop_source *find(struct loop *l, int fd)
{
	for (struct loop_source *s = l->sources; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct loop_source *s = find(l, fd);
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOENT;
	ev.data.ptr = s;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

/* The source is unlinked but freed only after the current dispatch round,
 * so a callback may delete any fd (its own included). */
static struct loop_source *graveyard;

void loop_del(struct loop *l, int fd)
{
	for (struct loop_source **p = &l->sources; *p; p = &(*p)->next) {
		struct loop_source *s = *p;

		if (s->fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		*p = s->next;
		s->cb = NULL;
		s->next = graveyard;
		graveyard = s;
		return;
	}
}

void loop_urgent(struct loop *l, void (*fn)(void *ctx), void *ctx)
{
	l->urgent = fn;
	l->urgent_ctx = ctx;
}

static void run_urgent(struct loop *l)
{
	void (*fn)(void *ctx) = l->urgent;

	l->urgent = NULL;
	if (fn)
		fn(l->urgent_ctx);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n;

	run_urgent(l);
	n = epoll_wait(l->epfd, evs, 32, l->urgent ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct loop_source *s = evs[i].data.ptr;

		run_urgent(l);
		if (s->cb)
			s->cb(l, s->fd, evs[i].events, s->data);
	}
	run_urgent(l);
	while (graveyard) {
		struct loop_source *s = graveyard;

		graveyard = s->next;
		free(s);
	}
	return 0;
}

int timer_set(int fd, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ms / 1000,
			      .tv_nsec = (long)(first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = interval_ms / 1000,
				 .tv_nsec = (long)(interval_ms % 1000) * 1000000 },
	};

	if (!first_ms && interval_ms)   /* 0 would disarm */
		its.it_value.tv_nsec = 1;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

int timer_open(uint64_t first_ms, uint64_t interval_ms)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int err;

	if (fd < 0)
		return -errno;
	err = timer_set(fd, first_ms, interval_ms);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

uint64_t timer_ack(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

int timer_open_wall(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int timer_set_wall(int fd, time_t at)
{
	struct itimerspec its = { .it_value = { .tv_sec = at } };

	if (at <= 0)    /* disarm */
		return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			       &its, NULL) ? -errno : 0;
}

int timer_ack_wall(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) == sizeof(n))
		return n > 0;
	return errno == ECANCELED ? -ECANCELED : 0;
}
