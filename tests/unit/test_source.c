/* test_source.c - a config's bytes read once (source.c): the stage holds
 * what was parsed, the digest covers exactly those bytes, a snapshot can
 * be parsed again under the original names, and no include escapes. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "sha256.h"
#include "source.h"
#include "check_main.h"

#define ZONES "zones = (\n@include \"sub/zones.inc\"\n);\n"
#define ZONE_INC "{ name = \"lg\"; class = \"lgwan\"; interfaces = " \
	"[ \"lg0\" ]; networks_file = \"nets.txt\"; }\n@include \"more.inc\"\n"
#define MORE_INC ", { name = \"x\"; class = \"general\"; interfaces = " \
	"[ \"x0\" ]; networks = [ \"10.9.0.0/16\" ]; }\n"
#define NETS "10.2.0.0/16\n# a comment\n10.3.0.0/16\n"

static char dir[64], stage[64], stage2[64];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/segmentd-src-XXXXXX");
	snprintf(stage, sizeof(stage), "/tmp/segmentd-stg-XXXXXX");
	snprintf(stage2, sizeof(stage2), "/tmp/segmentd-stg-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(mkdtemp(stage));
	ck_assert_ptr_nonnull(mkdtemp(stage2));
}

static void teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(stage, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(stage2, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *base, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole of path, or NULL. */
static char *slurp(const char *path)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(f);
	return text;
}

static void write_tree(void)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put(dir, "main.conf", "version = 1;\n" ZONES);
	put(dir, "sub/zones.inc", ZONE_INC);
	put(dir, "more.inc", MORE_INC);
	put(dir, "nets.txt", NETS);
}

static char *main_path(void)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/main.conf", dir), 0);
	return p;
}

/* Loads the main file through src; 0 errors expected. */
static void load(struct source *src, struct model *m)
{
	struct diags d;
	char *path = main_path();

	diags_init(&d);
	if (config_load_from(path, src, m, &d) != 0)
		diags_print(&d, stderr);
	ck_assert_int_eq(d.errors, 0);
	diags_free(&d);
	free(path);
}

START_TEST(stage_holds_the_bytes_parsed)
{
	const char *names[] = { "main.conf", "sub/zones.inc", "more.inc",
				"nets.txt" };
	struct source src;
	struct model m;
	struct sha256 s;
	uint8_t want[32], got[32];

	write_tree();
	source_init(&src, NULL, stage);
	load(&src, &m);
	ck_assert_uint_eq(m.zone_count, 2);
	ck_assert_uint_eq(m.zones[0].network_count, 2);
	/* every file read is in the stage under its absolute path, as
	 * read, and the digest is of those bytes in reading order */
	sha256_init(&s);
	for (size_t i = 0; i < 4; i++) {
		char orig[256], copy[512], *a, *b;

		snprintf(orig, sizeof(orig), "%s/%s", dir, names[i]);
		snprintf(copy, sizeof(copy), "%s%s", stage, orig);
		a = slurp(orig);
		b = slurp(copy);
		ck_assert_msg(a && b, "%s staged", orig);
		ck_assert_str_eq(a, b);
		sha256_update(&s, a, strlen(a));
		free(a);
		free(b);
	}
	sha256_final(&s, want);
	ck_assert(source_digest(&src, got));
	ck_assert_mem_eq(got, want, 32);
	/* the messages name the files where they are, not their copies */
	ck_assert_uint_eq(m.file_count, 4);
	ck_assert_ptr_nonnull(strstr(m.files[1], dir));
	ck_assert_ptr_null(strstr(m.files[1], stage));
	ck_assert_ptr_null(strstr(m.zones[0].networks_file, stage));
	model_free(&m);
	source_free(&src);
}
END_TEST

START_TEST(snapshot_parses_as_it_was)
{
	struct source src;
	struct model m;
	uint8_t first[32], again[32];

	write_tree();
	source_init(&src, NULL, stage);
	load(&src, &m);
	ck_assert(source_digest(&src, first));
	model_free(&m);
	source_free(&src);
	/* the files change (or vanish); the snapshot is what comes back */
	put(dir, "nets.txt", "10.7.0.0/16\n");
	put(dir, "more.inc", "\n");
	source_init(&src, stage, stage2);
	load(&src, &m);
	ck_assert_uint_eq(m.zone_count, 2);
	ck_assert_uint_eq(m.zones[0].network_count, 2);
	ck_assert(source_digest(&src, again));
	ck_assert_mem_eq(first, again, 32);
	ck_assert_ptr_null(strstr(m.files[0], stage));
	model_free(&m);
	source_free(&src);
}
END_TEST

START_TEST(include_cannot_climb_out)
{
	struct source src;
	struct model m;
	struct diags d;
	char *path = main_path(), *text = NULL;
	size_t len = 0;
	FILE *f;

	put(dir, "main.conf", "version = 1;\n@include \"../../../../../../../"
	    "../../../../../etc/hostname\"\n");
	source_init(&src, NULL, stage);
	diags_init(&d);
	ck_assert_int_eq(config_load_from(path, &src, &m, &d), -EINVAL);
	f = open_memstream(&text, &len);
	diags_print(&d, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "climbs above the root"));
	free(text);
	free(path);
	diags_free(&d);
	model_free(&m);
	source_free(&src);
}
END_TEST

START_TEST(origin_of_a_name)
{
	struct source s;
	char *out, *cwd = getcwd(NULL, 0), want[512];

	source_init(&s, "/snap", NULL);
	ck_assert_int_eq(source_origin(&s, "/a/./b/../c//d", &out), 0);
	ck_assert_str_eq(out, "/snap/a/c/d");
	free(out);
	ck_assert_int_eq(source_origin(&s, "/../x", &out), -ELOOP);
	ck_assert_int_eq(source_origin(&s, "rel.conf", &out), 0);
	snprintf(want, sizeof(want), "/snap%s%srel.conf", cwd,
		 strcmp(cwd, "/") ? "/" : "");
	ck_assert_str_eq(out, want);
	free(out);
	source_init(&s, NULL, NULL);
	ck_assert_int_eq(source_file(&s, "x/y.conf", &out), 0);
	ck_assert_str_eq(out, "x/y.conf");   /* no root, no stage: in place */
	free(out);
	ck_assert(!source_digest(&s, (uint8_t[32]){ 0 }));
	free(cwd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stage_holds_the_bytes_parsed);
	tcase_add_test(tc, snapshot_parses_as_it_was);
	tcase_add_test(tc, include_cannot_climb_out);
	tcase_add_test(tc, origin_of_a_name);
	suite_add_tcase(s, tc);
	return check_run(s);
}
