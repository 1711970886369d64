/* test_ruleset_equal.c - ruleset_equal(): what makes a reload "unchanged"
 * (nothing committed) and what does not. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "policy.h"

#define TEST_NOW ((time_t)1793491200)

static void load(const char *conf, struct ruleset *rs, struct model *m)
{
	char path[512];
	struct diags d;

	snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, conf);
	diags_init(&d);
	model_init(m);
	ck_assert_int_eq(policy_load(path, TEST_NOW, m, rs, &d), 0);
	diags_free(&d);
}

struct pair { struct ruleset a, b; struct model ma, mb; };

static void load_pair(struct pair *p)
{
	load("conf/segmentd.conf", &p->a, &p->ma);
	load("conf/segmentd.conf", &p->b, &p->mb);
}

static void free_pair(struct pair *p)
{
	ruleset_free(&p->a);
	ruleset_free(&p->b);
	model_free(&p->ma);
	model_free(&p->mb);
}

static struct rs_set *first_interval_set(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->set_count; i++)
		if (rs->sets[i].interval && rs->sets[i].elem_count)
			return &rs->sets[i];
	ck_abort_msg("no address set with elements");
	return NULL;
}

/* s's intervals packed again: the first one's last address left out
 * (flip), or the last interval (drop); the old pack is the caller's. */
static void repack(struct rs_set *s, bool flip, bool drop)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16;
	struct ivpack out;
	struct rs_iter it;
	struct rs_elem e;

	ivpack_init(&out, (uint8_t)len);
	set_iter_begin(&it);
	for (size_t i = 0; set_iter_next(s, &it, &e); i++) {
		if (flip && i == 0)
			e.high[len - 1] ^= 1;
		if (!(drop && i + 1 == s->elem_count))
			ck_assert_int_eq(ivpack_add(&out, e.low, e.high), 0);
	}
	s->iv = out;
	s->elem_count = out.count;
}

START_TEST(same_config_is_equal)
{
	struct ruleset ga, gb;
	struct pair p;

	load_pair(&p);
	p.b.compiled_at = p.a.compiled_at + 60;      /* not part of the table */
	p.b.chains[0].origin.line += 7;              /* nor are origins */
	ck_assert(ruleset_equal(&p.a, &p.b));
	ck_assert_int_eq(ruleset_compile_guard(&p.a, &ga), 0);
	ck_assert_int_eq(ruleset_compile_guard(&p.b, &gb), 0);
	ck_assert(ruleset_equal(&ga, &gb));
	ck_assert(!ruleset_equal(&p.a, &ga));
	ruleset_free(&ga);
	ruleset_free(&gb);
	free_pair(&p);
}
END_TEST

START_TEST(any_change_is_seen)
{
	struct pair p;
	struct ruleset *a = &p.a, *b = &p.b;
	struct rs_set *s;
	struct ivpack kept;
	struct rs_chain *c = NULL;

	load_pair(&p);
	s = first_interval_set(b);
	kept = s->iv;
	repack(s, true, false);                      /* one address less */
	ck_assert(!ruleset_equal(a, b));
	ivpack_free(&s->iv);
	s->iv = kept;
	ck_assert(ruleset_equal(a, b));
	repack(s, false, true);                      /* one network removed */
	ck_assert(!ruleset_equal(a, b));
	ivpack_free(&s->iv);
	s->iv = kept;
	s->elem_count = kept.count;
	ck_assert(ruleset_equal(a, b));
	for (size_t i = 0; i < b->chain_count && !c; i++)
		if (b->chains[i].rule_count)
			c = &b->chains[i];
	ck_assert_ptr_nonnull(c);
	ck_assert(ruleset_chain_equal(c, ruleset_find_chain(a, c->name)));
	c->rules[0].verdict = c->rules[0].verdict == RS_VERDICT_DROP ?
			      RS_VERDICT_ACCEPT : RS_VERDICT_DROP;
	ck_assert(!ruleset_chain_equal(c, ruleset_find_chain(a, c->name)));
	ck_assert(!ruleset_equal(a, b));
	free_pair(&p);
}
END_TEST

START_TEST(ownership_and_name_count)
{
	struct pair p;

	load_pair(&p);
	p.b.ownership = !p.b.ownership;
	ck_assert(!ruleset_equal(&p.a, &p.b));
	p.b.ownership = !p.b.ownership;
	p.b.table[0] ^= 0x20;
	ck_assert(!ruleset_equal(&p.a, &p.b));
	free_pair(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ruleset_equal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_config_is_equal);
	tcase_add_test(tc, any_change_is_seen);
	tcase_add_test(tc, ownership_and_name_count);
	suite_add_tcase(s, tc);
	return check_run(s);
}
