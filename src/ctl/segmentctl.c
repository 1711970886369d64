/* segmentctl.c - the command line client of segmentd's control socket.
 * Knows the protocol (control.h) and nothing else of the daemon: verbs it
 * does not know are passed through as they are. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

#ifndef SEGMENTD_VERSION
#define SEGMENTD_VERSION "unknown"
#endif

#define DEFAULT_TIMEOUT_S 30

enum exit_status {
	EXIT_OK = 0,          /* OK */
	EXIT_FAIL = 1,        /* FAIL: the daemon's answer is "no" */
	EXIT_ERROR = 2,       /* ERROR from the daemon */
	EXIT_UNREACHABLE = 3, /* no daemon, no permission, no answer */
	EXIT_USAGE = 64,
};

struct options {
	const char *socket;
	bool json;
	int timeout_s;
};

static void usage(FILE *out)
{
	fputs("Usage: segmentctl [-s SOCKET] [-t SECONDS] [--json] COMMAND "
	      "[ARG...]\n"
	      "Ask a running segmentd.\n\n"
	      "Commands:\n"
	      "  status              state, fingerprints, protection, last "
	      "apply, drift\n"
	      "  reload [--confirm SECS]\n"
	      "                      load the config again and apply it; with "
	      "--confirm,\n"
	      "                      roll back unless `confirm` follows within "
	      "SECS\n"
	      "  confirm             keep a reload made with --confirm\n"
	      "  check [FILE]        validate FILE (default: the daemon's "
	      "config)\n"
	      "  diff FILE           what FILE would change against the "
	      "enforced config\n"
	      "  show                the enforced ruleset as nft text\n"
	      "  verify              compare the kernel with the expected "
	      "ruleset now\n"
	      "  matrix [--dot]      zone-to-zone matrix: config against "
	      "kernel\n"
	      "  counters [NAME...] [--reset]\n"
	      "                      new connections per zone pair and flow, "
	      "drops, spoofs,\n"
	      "                      invalid (no conntrack state);\n"
	      "                      with names, only the rows of those zones "
	      "and flows\n"
	      "  denied [--top N]    denied traffic by pair, source, "
	      "destination, service\n"
	      "  audit [--lang ja]   the self-inspection report, pass/fail per "
	      "check\n"
	      "  metrics             Prometheus text exposition\n"
	      "  ct-audit [--repair] conntrack entries whose tuple does not "
	      "fit their\n"
	      "                      mark's flow; --repair deletes them\n"
	      "  events              drift and reload history\n"
	      "  names               the zones and flows of the enforced "
	      "config\n"
	      "  version             the daemon's version\n"
	      "Any other command is passed to the daemon as it is.\n\n"
	      "Options:\n"
	      "  -s, --socket PATH    control socket (default $SEGMENTD_SOCKET "
	      "or\n"
	      "                       " CONTROL_SOCKET_PATH ")\n"
	      "  -t, --timeout SECS   give up after SECS seconds (default 30)\n"
	      "  -j, --json           ask for one JSON document\n"
	      "  -V, --version        print segmentctl's version\n"
	      "  -h, --help           this help\n\n"
	      "Exit status: 0 OK, 1 FAIL (e.g. drift, invalid config), "
	      "2 error from\nsegmentd, 3 segmentd not reachable, 64 usage.\n",
	      out);
}

/* Appends " word" to line (of size CONTROL_MAX_REQUEST + 1). */
static int line_append(char *line, const char *word)
{
	size_t len = strlen(line), n = strlen(word);

	if (len + 1 + n + 1 > CONTROL_MAX_REQUEST)   /* + the '\n' */
		return -E2BIG;
	if (len)
		line[len++] = ' ';
	memcpy(line + len, word, n + 1);
	return 0;
}

/* An argument travels as one word: no spaces, nothing the parser refuses. */
static int word_check(const char *word)
{
	if (!*word || strchr(word, ' ')) {
		fprintf(stderr, "segmentctl: '%s': arguments cannot be empty or "
			"contain spaces\n", word);
		return -EINVAL;
	}
	return 0;
}

/* `check FILE`, `diff FILE`: the daemon's cwd is not ours, so FILE goes
 * absolute (the
 * first argument that is not --json). */
static int word_add(char *line, const char *verb, const char *word,
		    bool *path_done)
{
	char resolved[PATH_MAX];

	if ((!strcmp(verb, "check") || !strcmp(verb, "diff")) && !*path_done &&
	    strcmp(word, "--json") != 0) {
		*path_done = true;
		if (!realpath(word, resolved)) {
			int err = -errno;

			fprintf(stderr, "segmentctl: %s: %s\n", word,
				strerror(-err));
			return err;
		}
		word = resolved;
	}
	if (word_check(word))
		return -EINVAL;
	return line_append(line, word);
}

/* reload: tell the daemon which SSH session we are on ("--ssh=IP,PORT"
 * from SSH_CONNECTION "client-ip client-port server-ip server-port"), so it
 * can warn before a new management policy cuts it off. */
static int ssh_add(char *line)
{
	const char *conn = getenv("SSH_CONNECTION");
	char ip[64], word[96], *end;
	const char *last;
	unsigned long sport;
	size_t iplen;

	if (!conn || !(last = strrchr(conn, ' ')))
		return 0;
	iplen = strcspn(conn, " ");
	if (iplen == 0 || iplen >= sizeof(ip))
		return 0;
	memcpy(ip, conn, iplen);
	ip[iplen] = 0;
	errno = 0;
	sport = strtoul(last + 1, &end, 10);
	if (errno || *end || sport < 1 || sport > 65535)
		return 0;
	snprintf(word, sizeof(word), "--ssh=%s,%lu", ip, sport);
	return word_check(word) ? 0 : line_append(line, word);
}

/* Builds "VERB [--json] ARG..." from argv and checks it as the daemon
 * will.  Returns an exit status. */
static int request_build(char *line, const struct options *o, int argc,
			 char **argv)
{
	struct control_request *req;
	const char *why = NULL;
	bool path_done = false;
	int err = 0;

	line[0] = '\0';
	err = line_append(line, argv[0]);
	if (!err && o->json)
		err = line_append(line, "--json");
	for (int i = 1; !err && i < argc; i++)
		err = word_add(line, argv[0], argv[i], &path_done);
	if (!err && !strcmp(argv[0], "reload"))
		err = ssh_add(line);
	if (err == -ENOENT || err == -EACCES || err == -ENOTDIR ||
	    err == -ELOOP || err == -ENAMETOOLONG)
		return EXIT_FAIL;            /* check FILE: FILE is not there */
	if (err) {
		if (err == -E2BIG)
			fputs("segmentctl: request too long\n", stderr);
		return EXIT_USAGE;
	}
	req = malloc(sizeof(*req));
	if (!req)
		return EXIT_USAGE;
	if (control_parse(line, strlen(line), req, &why)) {
		fprintf(stderr, "segmentctl: %s\n", why);
		err = -EINVAL;
	}
	free(req);
	return err ? EXIT_USAGE : EXIT_OK;
}

static int unreachable(const char *path, int err)
{
	const char *hint = "is it running?";

	if (err == -EACCES)
		hint = "run as root or as a member of the control group";
	else if (err == -EBADMSG)
		hint = "is it segmentd?";
	fprintf(stderr, "segmentctl: cannot reach segmentd at %s: %s (%s)\n",
		path, strerror(-err), hint);
	return EXIT_UNREACHABLE;
}

static int call(const struct options *o, const char *line)
{
	enum control_status status;
	char *body = NULL;
	int err = control_call(o->socket, line, o->timeout_s * 1000, &status,
			       &body);

	if (err)
		return unreachable(o->socket, err);
	if (status == CONTROL_ERROR) {
		fprintf(stderr, "segmentctl: %s\n", body);
		free(body);
		return EXIT_ERROR;
	}
	fputs(body, stdout);
	free(body);
	if (fflush(stdout)) {
		fprintf(stderr, "segmentctl: stdout: %s\n", strerror(errno));
		return EXIT_ERROR;
	}
	return status == CONTROL_OK ? EXIT_OK : EXIT_FAIL;
}

/* Returns -1 to go on, or the exit status. */
static int options_parse(struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	/* '+': the first word that is not an option is the command; what
	 * follows it belongs to the command. */
	while ((c = getopt_long(argc, argv, "+s:t:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'j': o->json = true; break;
		case 'V': puts("segmentctl " SEGMENTD_VERSION); return EXIT_OK;
		case 'h': usage(stdout); return EXIT_OK;
		case 't': {
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			/* range-checked as a long: a cast first would take
			 * 4294967297 for 1 */
			if (errno || *end || end == optarg || v <= 0 ||
			    v > 86400) {
				fprintf(stderr, "segmentctl: bad timeout "
					"'%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->timeout_s = (int)v;
			break;
		}
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { .socket = getenv("SEGMENTD_SOCKET"),
			     .timeout_s = DEFAULT_TIMEOUT_S };
	char line[CONTROL_MAX_REQUEST + 1];
	int status;

	if (!o.socket || !*o.socket)
		o.socket = CONTROL_SOCKET_PATH;
	status = options_parse(&o, argc, argv);
	if (status >= 0)
		return status;
	status = request_build(line, &o, argc - optind, argv + optind);
	if (status != EXIT_OK)
		return status;
	return call(&o, line);
}
