/* control.h - the control socket: a tiny request/response protocol between
 * segmentctl and the daemon (both ends live in control.c).
 *
 * Protocol (see segmentctl(8)): the client connects to a Unix stream socket
 * (default /run/segmentd/control, mode 0600, or 0660 with a group), sends
 * ONE request line of at most CONTROL_MAX_REQUEST bytes ending in '\n':
 *
 *     VERB [--json] [ARG ...]\n         words separated by spaces
 *
 * and reads the response until the daemon closes the connection:
 *
 *     OK\n<body>            the command succeeded
 *     FAIL\n<body>          it ran, and the answer is "no" (verify found
 *                           drift, check found errors, reload was refused)
 *     ERROR <reason>\n      malformed, oversized, unknown verb, not allowed
 *
 * The body is text, or one JSON document with --json.  A client that sends
 * nothing within CONTROL_TIMEOUT_MS, or more than CONTROL_MAX_REQUEST bytes
 * without a newline, gets ERROR and is disconnected; the daemon never blocks
 * on a client.
 */
#ifndef SEGMENTD_CONTROL_H
#define SEGMENTD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "loop.h"

#define CONTROL_SOCKET_PATH "/run/segmentd/control"
#define CONTROL_MAX_REQUEST 4096
#define CONTROL_MAX_ARGS 8
#define CONTROL_TIMEOUT_MS 2000
#define CONTROL_MAX_CLIENTS 64

struct control_request {
	char verb[32];
	bool json;
	int argc;
	char *argv[CONTROL_MAX_ARGS];     /* point into buf */
	char buf[CONTROL_MAX_REQUEST + 1];
};

enum control_status { CONTROL_OK, CONTROL_FAIL, CONTROL_ERROR,
		      CONTROL_STATUS_MAX };

/* Pure: parses one request line (without or with its '\n').  Returns 0, or
 * -EINVAL with *why a static explanation. */
int control_parse(const char *data, size_t len, struct control_request *req,
		  const char **why);

/* Server side.  The handler writes the body to out and returns the status;
 * peer_uid is the caller's uid (SO_PEERCRED). */
typedef enum control_status (*control_handler)(void *ctx,
		const struct control_request *req, uid_t peer_uid, FILE *out);

struct control_server;
/* Creates the socket (unlinking a stale one), mode 0600 or, with gid != -1,
 * 0660 and that group; registers with the loop.  Returns 0 or -errno. */
int control_server_open(struct control_server **out, struct loop *l,
			const char *path, gid_t gid, control_handler h,
			void *ctx);
/* Disconnects clients past their deadline; call about once a second. */
void control_server_sweep(struct control_server *s);
void control_server_close(struct control_server *s);
/* The per-client deadline (default CONTROL_TIMEOUT_MS; tests use less).  A
 * client that is being answered gets it anew after every write that makes
 * progress. */
void control_server_set_timeout(struct control_server *s, int timeout_ms);
/* Connections open now (for status and tests). */
size_t control_server_client_count(const struct control_server *s);

/* Client side: sends line, reads the whole answer.  *status is set from
 * the first line; *body (malloc'd, NUL-terminated) is what follows, or the
 * ERROR reason.  Returns 0 or -errno (no daemon: -ENOENT/-ECONNREFUSED). */
int control_call(const char *path, const char *line, int timeout_ms,
		 enum control_status *status, char **body);

#endif
