/* test_loop.c - the event loop's order: work asked for with loop_urgent()
 * runs before any other callback that is ready, once, also when it was
 * asked for from inside a callback of the same round. */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "check_main.h"

static char order[16];
static size_t n_order;
static struct loop lp;

static void note(char c)
{
	if (n_order < sizeof(order) - 1)
		order[n_order++] = c;
}

static void urgent(void *ctx)
{
	note(*(const char *)ctx);
}

/* a ready timer: asks for urgent work the first time it runs */
static void on_timer(struct loop *l, int fd, uint32_t events, void *data)
{
	static const char u = 'U';

	(void)events;
	timer_ack(fd);
	note(*(const char *)data);
	if (*(const char *)data == 'a')
		loop_urgent(l, urgent, (void *)&u);
}

static void reset(void)
{
	memset(order, 0, sizeof(order));
	n_order = 0;
}

START_TEST(urgent_first)
{
	static const char u = 'u', a = 'x';
	int t;

	reset();
	ck_assert_int_eq(loop_init(&lp), 0);
	t = timer_open(1, 0);
	ck_assert_int_ge(t, 0);
	ck_assert_int_eq(loop_add(&lp, t, EPOLLIN, on_timer,
				  (void *)&a), 0);
	usleep(5000);               /* the timer is ready */
	loop_urgent(&lp, urgent, (void *)&u);
	ck_assert_int_eq(loop_run_once(&lp, 1000), 0);
	ck_assert_str_eq(order, "ux");
	/* once: a second round waits for the (idle) fds only */
	ck_assert_int_eq(loop_run_once(&lp, 0), 0);
	ck_assert_str_eq(order, "ux");
	loop_del(&lp, t);
	close(t);
	loop_free(&lp);
}
END_TEST

START_TEST(urgent_from_a_callback)
{
	static const char a = 'a', b = 'b';
	int t1, t2;

	reset();
	ck_assert_int_eq(loop_init(&lp), 0);
	t1 = timer_open(1, 0);
	t2 = timer_open(1, 0);
	ck_assert_int_ge(t1, 0);
	ck_assert_int_ge(t2, 0);
	ck_assert_int_eq(loop_add(&lp, t1, EPOLLIN, on_timer, (void *)&a), 0);
	ck_assert_int_eq(loop_add(&lp, t2, EPOLLIN, on_timer, (void *)&b), 0);
	usleep(5000);               /* both ready: one round */
	ck_assert_int_eq(loop_run_once(&lp, 1000), 0);
	/* whichever ran first, U comes right after a, before anything else */
	ck_assert(!strcmp(order, "aUb") || !strcmp(order, "baU"));
	loop_del(&lp, t1);
	loop_del(&lp, t2);
	close(t1);
	close(t2);
	loop_free(&lp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *t = tcase_create("core");

	tcase_add_test(t, urgent_first);
	tcase_add_test(t, urgent_from_a_callback);
	suite_add_tcase(s, t);
	return check_run(s);
}
