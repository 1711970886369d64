/* loop.h - the one event loop: epoll over fds, each with its callback.
 * No threads, no sleeps; signals arrive through a signalfd, time through
 * timerfds, like everything else. */
#ifndef SEGMENTD_LOOP_H
#define SEGMENTD_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct loop;
typedef void (*loop_cb)(struct loop *l, int fd, uint32_t events, void *data);

struct loop_source {
	int fd;
	loop_cb cb;
	void *data;
	struct loop_source *next;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_source *sources;
	void (*urgent)(void *ctx);     /* see loop_urgent() */
	void *urgent_ctx;
};

int loop_init(struct loop *l);
void loop_free(struct loop *l);          /* does not close the fds */
int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *data);
int loop_mod(struct loop *l, int fd, uint32_t events);
void loop_del(struct loop *l, int fd);
/* Waits up to timeout_ms (-1: forever) and runs the callbacks of what is
 * ready.  Returns 0 or -errno (EINTR is not an error). */
int loop_run_once(struct loop *l, int timeout_ms);
/* fn(ctx) runs once, before any other callback: before the next one of
 * this round, or first thing in the next round.  A restore after drift
 * found deep inside other work: the denied-traffic reader or a periodic
 * check must not go before it.  A second request replaces the first. */
void loop_urgent(struct loop *l, void (*fn)(void *ctx), void *ctx);

/* A timerfd (CLOCK_MONOTONIC, CLOEXEC|NONBLOCK): first after first_ms, then
 * every interval_ms (0: once).  Returns the fd or -errno. */
int timer_open(uint64_t first_ms, uint64_t interval_ms);
int timer_set(int fd, uint64_t first_ms, uint64_t interval_ms);
/* Reads the expiration count (0 if none). */
uint64_t timer_ack(int fd);

/* A wall-clock timerfd (CLOCK_REALTIME, CLOEXEC|NONBLOCK), for dates such
 * as a flow's expiry: it fires at an absolute instant, so a clock stepped
 * by NTP after boot does not shift it, and it is cancelled by any step
 * (TFD_TIMER_CANCEL_ON_SET) so the caller can look at the clock again.
 * timer_set_wall(fd, 0) disarms.  timer_ack_wall() returns 1 when the
 * instant has come, 0 when nothing happened, -ECANCELED when the clock was
 * set (the timer must be armed again). */
int timer_open_wall(void);
int timer_set_wall(int fd, time_t at);
int timer_ack_wall(int fd);

#endif
