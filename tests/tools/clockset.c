/* clockset - sets CLOCK_REALTIME to the value it has: a clock "step" of
 * (almost) no size.  The kernel still treats it as a discontinuous change,
 * so every timerfd armed with TFD_TIMER_CANCEL_ON_SET is cancelled, as when
 * NTP steps the clock after boot.  Used by tests/kernel/expiry_clock.sh,
 * together with a faked time (libfaketime), so the machine's clock is
 * never moved.  Needs CAP_SYS_TIME.  Exit 0, or 1 with the reason. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <time.h>

int main(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) ||
	    clock_settime(CLOCK_REALTIME, &now)) {
		fprintf(stderr, "clockset: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
