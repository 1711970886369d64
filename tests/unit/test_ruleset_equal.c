/* test_ruleset_equal.c - ruleset_equal(): what makes a reload "unchanged"
 * (nothing committed) and what does not. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "matrix.h"
#include "model.h"
#include "modeldiff.h"
#include "policy_digest.h"
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

/* A packed model (model_pack: the daemon's) holds the same networks and
 * compiles to an equal ruleset. */
static void same_networks(const struct zone *a, const struct zone *b)
{
	struct zone_net_iter it;
	struct cidr net;
	size_t n = 0;

	ck_assert_ptr_null(a->packed);
	ck_assert(b->packed || !b->network_count);
	zone_net_begin(&it);
	while (zone_network_next(b, &it, &net)) {
		const struct cidr *c = &a->networks[n++];

		ck_assert_uint_eq(net.family, c->family);
		ck_assert_uint_eq(net.prefix, c->prefix);
		ck_assert_mem_eq(net.addr, c->addr, sizeof(net.addr));
	}
	ck_assert_uint_eq(n, a->network_count);
}

/* What the daemon reports from its kept (packed) model: the matrix, the
 * review of a candidate, the policy digest. */
static void same_reports(const struct model *ma, const struct model *mb)
{
	struct matrix xa, xb;
	uint8_t da[32], db[32];
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(matrix_from_model(ma, TEST_NOW, &xa), 0);
	ck_assert_int_eq(matrix_from_model(mb, TEST_NOW, &xb), 0);
	ck_assert_uint_eq(matrix_differences(&xa, &xb), 0);
	ck_assert_uint_eq(matrix_triples(&xa), matrix_triples(&xb));
	matrix_free(&xa);
	matrix_free(&xb);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(model_diff(mb, ma, NULL, false, out), 0);
	ck_assert_int_eq(model_diff(ma, mb, NULL, true, out), 0);
	fclose(out);
	free(text);
	ck_assert_int_eq(model_policy_digest(ma, da), 0);
	ck_assert_int_eq(model_policy_digest(mb, db), 0);
	ck_assert_mem_eq(da, db, sizeof(da));
}

static void check_config(const char *conf)
{
	struct ruleset ra, rb, again;
	struct model ma, mb;

	load(conf, &ra, &ma);
	load(conf, &rb, &mb);
	ck_assert_int_eq(model_pack(&mb), 0);
	ck_assert_int_eq(model_pack(&mb), 0);         /* packed once */
	for (size_t z = 0; z < ma.zone_count; z++)
		same_networks(&ma.zones[z], &mb.zones[z]);
	ck_assert_int_eq(ruleset_compile(&mb, TEST_NOW, &again), 0);
	ck_assert(ruleset_equal(&ra, &again));
	same_reports(&ma, &mb);
	ruleset_free(&again);
	ruleset_free(&ra);
	ruleset_free(&rb);
	model_free(&ma);
	model_free(&mb);
}

/* ruleset_same_shape(): elements and rules may differ (a reload by its
 * difference, kernel/nft_update.c); tables, objects, set declarations and
 * chains may not. */
START_TEST(shape_of_a_change)
{
	struct pair p;
	struct ruleset *a = &p.a, *b = &p.b;
	struct rs_set *s;
	struct rs_chain *c = NULL;
	char *name;

	load_pair(&p);
	ck_assert(ruleset_same_shape(a, b));
	s = first_interval_set(b);
	{
		struct ivpack kept = s->iv;

		repack(s, false, true);              /* one network removed */
		ck_assert(!ruleset_equal(a, b));
		ck_assert(ruleset_same_shape(a, b));
		ck_assert(!ruleset_set_equal(s, ruleset_find_set(a, s->name)));
		ivpack_free(&kept);
	}
	for (size_t i = 0; i < b->chain_count && !c; i++)
		if (b->chains[i].rule_count)
			c = &b->chains[i];
	ck_assert_ptr_nonnull(c);
	c->rule_count--;                             /* a rule less */
	ck_assert(ruleset_same_shape(a, b));
	c->rule_count++;
	c->priority += 10;                           /* a chain moved */
	ck_assert(!ruleset_same_shape(a, b));
	c->priority -= 10;
	s->key = s->key == RS_KEY_IPV4 ? RS_KEY_IPV6 : RS_KEY_IPV4;
	ck_assert(!ruleset_same_shape(a, b));        /* a set redeclared */
	s->key = s->key == RS_KEY_IPV4 ? RS_KEY_IPV6 : RS_KEY_IPV4;
	name = b->objs[0].name;
	b->objs[0].name = (char *)"another_counter";
	ck_assert(!ruleset_same_shape(a, b));        /* an object renamed */
	b->objs[0].name = name;
	b->ownership = !b->ownership;
	ck_assert(!ruleset_same_shape(a, b));        /* other table flags */
	b->ownership = !b->ownership;
	b->owned_while_running = !b->owned_while_running;
	ck_assert(!ruleset_same_shape(a, b));
	b->owned_while_running = !b->owned_while_running;
	b->table[0] ^= 0x20;                         /* another table */
	ck_assert(!ruleset_same_shape(a, b));
	b->table[0] ^= 0x20;
	c->name[0] ^= 0x20;                          /* a chain renamed */
	ck_assert(!ruleset_same_shape(a, b));
	c->name[0] ^= 0x20;
	c->hook = c->hook == RS_HOOK_NONE ? RS_HOOK_INPUT : RS_HOOK_NONE;
	ck_assert(!ruleset_same_shape(a, b));        /* on another hook */
	c->hook = ruleset_find_chain(a, c->name)->hook;
	s->name[0] ^= 0x20;                          /* a set renamed */
	ck_assert(!ruleset_same_shape(a, b));
	s->name[0] ^= 0x20;
	s->interval = !s->interval;
	ck_assert(!ruleset_same_shape(a, b));
	s->interval = !s->interval;
	s->is_map = !s->is_map;
	ck_assert(!ruleset_same_shape(a, b));
	s->is_map = !s->is_map;
	b->objs[0].type = RS_OBJ_TYPE_MAX;           /* an object retyped */
	ck_assert(!ruleset_same_shape(a, b));
	b->objs[0].type = a->objs[0].type;
	ck_assert(ruleset_same_shape(a, b));
	free_pair(&p);
}
END_TEST

/* ruleset_elem_cmp(): a total order, 0 exactly for equal elements (the
 * difference of two marks or map sets, kernel/nft_update.c). */
START_TEST(element_order)
{
	struct rs_elem e[6];
	char x[] = "x", y[] = "y";

	memset(e, 0, sizeof(e));
	e[1].low[3] = 1;                               /* another key */
	e[2].verdict = RS_VERDICT_JUMP;                /* a verdict */
	e[3].verdict = RS_VERDICT_JUMP; e[3].chain = x;
	e[4].verdict = RS_VERDICT_JUMP; e[4].chain = y;
	e[5].high[0] = 1;                              /* another high */
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 6; j++) {
			int c = ruleset_elem_cmp(&e[i], &e[j]);

			ck_assert_int_eq(c == 0, i == j);
			ck_assert_int_eq(c < 0, ruleset_elem_cmp(&e[j], &e[i]) > 0);
		}
	{
		struct rs_elem copy = e[3];
		char x2[] = "x";

		copy.chain = x2;                           /* by name */
		ck_assert_int_eq(ruleset_elem_cmp(&copy, &e[3]), 0);
	}
}
END_TEST

START_TEST(packed_compiles_the_same)
{
	check_config("conf/segmentd.conf");
	check_config("conf/examples/alpha-prime-city.conf");
	check_config("conf/examples/ha-pair.conf");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ruleset_equal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_config_is_equal);
	tcase_add_test(tc, any_change_is_seen);
	tcase_add_test(tc, ownership_and_name_count);
	tcase_add_test(tc, packed_compiles_the_same);
	tcase_add_test(tc, shape_of_a_change);
	tcase_add_test(tc, element_order);
	suite_add_tcase(s, tc);
	return check_run(s);
}
