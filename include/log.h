/* log.h - the daemon's log: stderr with journal priority prefixes ("<5>")
 * when stderr is the journal, plain "segmentd: " lines otherwise. */
#ifndef SEGMENTD_LOG_H
#define SEGMENTD_LOG_H

#include <syslog.h>

#include "diag.h"

void log_init(void);
__attribute__((format(printf, 2, 3)))
void log_msg(int priority, const char *fmt, ...);
/* Logs every diagnostic (errors at ERR, warnings at WARNING). */
void log_diags(const struct diags *d);

#endif
