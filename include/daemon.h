/* daemon.h - the long-running mode: program, hold ownership, reload on
 * SIGHUP, leave the table enforced on SIGTERM/SIGINT. */
#ifndef SEGMENTD_DAEMON_H
#define SEGMENTD_DAEMON_H

/* Returns the process exit status. */
/* node: the ha node this gateway is (--node), or NULL for the host name. */
int daemon_run(const char *config_path, const char *node);

#endif
