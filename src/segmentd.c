/* segmentd.c - command line: --check, --print, --once, or run the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "enforce.h"
#include "matrix.h"
#include "readback.h"
#include "nft.h"
#include "policy.h"

#define DEFAULT_CONFIG SYSCONFDIR "/segmentd/segmentd.conf"

enum exit_status {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,      /* the config is invalid */
	EXIT_KERNEL = 2,      /* the kernel rejected the ruleset */
	EXIT_USAGE = 64,
};

enum mode { MODE_RUN, MODE_CHECK, MODE_PRINT, MODE_ONCE, MODE_MATRIX };

static void usage(FILE *out)
{
	fputs("Usage: segmentd [-c FILE] [--check | --print | --once | "
	      "--matrix]\n"
	      "Enforce network segmentation between zones with one nftables "
	      "table.\n\n"
	      "Options:\n"
	      "  -c, --config FILE  zone config (default " DEFAULT_CONFIG ")\n"
	      "      --check        validate the config and let the kernel "
	      "check the\n"
	      "                     exact ruleset without committing it\n"
	      "      --print        print the ruleset as nft text (nft -f "
	      "accepts it)\n"
	      "      --once         program the ruleset and exit (the table "
	      "stays)\n"
	      "      --matrix       compare the zone matrix of the config "
	      "with the one\n"
	      "                     read back from the kernel's table "
	      "(exit 1 if they differ)\n"
	      "      --node NAME    the ha node this gateway is (default: "
	      "the host name,\n"
	      "                     or its first label)\n"
	      "  -V, --version      print the version\n"
	      "  -h, --help         this help\n\n"
	      "Without a mode, segmentd programs the ruleset and runs in the "
	      "foreground:\nSIGHUP reloads (`segmentctl reload` waits for the "
	      "outcome), SIGTERM stops\nand leaves the ruleset enforced; "
	      "`segmentctl` asks the running daemon.\n"
	      "Exit status: 0 ok, 1 invalid config, 2 kernel rejected, "
	      "64 usage.\n", out);
}

/* --matrix: the config's matrix against the kernel's table. */
static int matrix_compare(struct nl *nl, const struct model *m,
			  const struct ruleset *rs)
{
	struct matrix intended, enforced;
	struct readback rb;
	size_t diff;
	int err = matrix_from_model(m, time(NULL), &intended);

	if (err)
		return EXIT_KERNEL;
	err = readback_read(nl, rs->table, false, &rb);
	err = err ?: matrix_from_readback(&rb, m, &enforced);
	readback_free(&rb);
	if (err) {
		fprintf(stderr, "segmentd: reading table '%s': %s\n",
			rs->table, strerror(-err));
		matrix_free(&intended);
		return EXIT_KERNEL;
	}
	matrix_render_text(m, &intended, &enforced, stdout);
	diff = matrix_differences(&intended, &enforced);
	matrix_free(&intended);
	matrix_free(&enforced);
	return diff ? EXIT_CONFIG : EXIT_OK;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

#ifdef SEGMENTD_TEST_HOOKS   /* build/hooks/segmentd only (Makefile) */
/* SEGMENTD_TEST_SHARD=N (tests/kernel/shard.sh): the ruleset lowered into
 * shards of at most N intervals (compile_shard.c) before it is used; the
 * daemon does not lower yet. */
static int test_shard(struct ruleset *rs)
{
	const char *n = getenv("SEGMENTD_TEST_SHARD");

	return n ? ruleset_shard(rs, strtoul(n, NULL, 10)) : 0;
}
#else
static int test_shard(struct ruleset *rs)
{
	return 0;
}
#endif

static int one_shot(enum mode mode, const char *path)
{
	struct timespec t0, t1;
	double load_ms;
	struct model m;
	struct ruleset rs, guard;
	struct diags d;
	enum protection level;
	struct fingerprint expected = { 0 }, guard_expected = { 0 };
	struct nl nl;
	int err, status = EXIT_OK;

	diags_init(&d);
	model_init(&m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = policy_load(path, time(NULL), &m, &rs, &d);
	load_ms = ms_since(&t0);
	diags_print(&d, stderr);
	diags_free(&d);
	if (err) {
		model_free(&m);
		return EXIT_CONFIG;
	}
	err = test_shard(&rs);
	if (err) {
		fprintf(stderr, "segmentd: lowering into shards: %s\n",
			strerror(-err));
		ruleset_free(&rs);
		model_free(&m);
		return EXIT_CONFIG;
	}
	if (ruleset_compile_guard(&rs, &guard)) {
		fputs("segmentd: out of memory\n", stderr);
		ruleset_free(&rs);
		model_free(&m);
		return EXIT_CONFIG;
	}
	/* no daemon to outlive: a guard owned by this process would go with
	 * it, so without PERSIST it stays unowned like the main table */
	guard.owned_while_running = false;
	if (mode == MODE_PRINT) {
		status = ruleset_render(&rs, stdout) ||
			 ruleset_render(&guard, stdout) ? EXIT_KERNEL : EXIT_OK;
		goto out;
	}
	err = nl_open(&nl);
	if (err) {
		fprintf(stderr, "segmentd: netlink: %s\n", strerror(-err));
		status = EXIT_KERNEL;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mode == MODE_MATRIX) {
		status = matrix_compare(&nl, &m, &rs);
		nl_close(&nl);
		goto out;
	}
	if (mode == MODE_CHECK)
		err = nft_check(&nl, &guard, &d) ?: nft_check(&nl, &rs, &d);
	else
		err = enforce_apply_pair(&nl, &rs, &guard, &d, &level,
					 &expected, &guard_expected);
	diags_print(&d, stderr);
	diags_free(&d);
	/* SEGMENTD_TIMING=1: figures for bench/ (not a stable interface). */
	if (getenv("SEGMENTD_TIMING"))
		fprintf(stderr, "timing: load+validate+compile %.3f ms, "
			"apply %.3f ms, last commit %.3f ms, batch %zu bytes\n",
			load_ms, ms_since(&t1), nl.last_commit_ns / 1e6,
			nl.last_batch_bytes);
	nl_close(&nl);
	if (err)
		status = EXIT_KERNEL;
	else if (mode == MODE_CHECK)
		fprintf(stderr, "%s: valid (%zu zones, %zu hosts, %zu flows; "
			"the kernel accepts the ruleset)\n", path, m.zone_count,
			m.host_count, m.flow_count);
	else
		fprintf(stderr, "segmentd: table '%s' programmed (%zu set "
			"elements, %s), guarded by '%s'\n", rs.table,
			ruleset_element_count(&rs),
			level == PROTECTION_OWNED ? "persistent" : "unowned",
			guard.table);
out:
	ruleset_free(&guard);
	ruleset_free(&rs);
	model_free(&m);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "print", no_argument, NULL, 'p' },
		{ "once", no_argument, NULL, 'o' },
		{ "matrix", no_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG, *node = NULL;
	enum mode mode = MODE_RUN;
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': mode = MODE_CHECK; break;
		case 'p': mode = MODE_PRINT; break;
		case 'o': mode = MODE_ONCE; break;
		case 'm': mode = MODE_MATRIX; break;
		case 'n': node = optarg; break;
		case 'V': puts("segmentd " SEGMENTD_VERSION); return EXIT_OK;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (mode == MODE_RUN)
		return daemon_run(path, node);
	return one_shot(mode, path);
}
