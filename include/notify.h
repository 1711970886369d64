/* notify.h - the sd_notify protocol (a datagram to $NOTIFY_SOCKET), done by
 * hand so segmentd needs no libsystemd and runs fine without systemd: every
 * call is a no-op when NOTIFY_SOCKET is unset. */
#ifndef SEGMENTD_NOTIFY_H
#define SEGMENTD_NOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID; returns 0. */
int notify_init(void);
void notify_ready(const char *status);       /* READY=1 + STATUS= */
void notify_reloading(void);                  /* RELOADING=1 + MONOTONIC_USEC= */
void notify_stopping(void);                   /* STOPPING=1 */
void notify_watchdog(void);                   /* WATCHDOG=1 */
void notify_status(const char *status);       /* STATUS= */
/* The watchdog interval systemd asked for (0: none); ping at half of it. */
uint64_t notify_watchdog_usec(void);

#endif
