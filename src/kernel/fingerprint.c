/* fingerprint.c - dump our table and hash its canonical form. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "array.h"
#include "fingerprint.h"
#include "kread.h"
#include "nft.h"
#include "nft_internal.h"
#include "sha256.h"


struct lines {
	char **v;
	size_t n, cap;
};

static int lines_add(struct lines *l, char *s)
{
	if (!s)
		return -ENOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and hashes the lines into out (one "\n" after each). */
static void lines_digest(struct lines *l, uint8_t out[32])
{
	struct sha256 s;

	if (l->n)       /* qsort(NULL, 0) is undefined */
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	sha256_init(&s);
	for (size_t i = 0; i < l->n; i++) {
		sha256_update(&s, l->v[i], strlen(l->v[i]));
		sha256_update(&s, "\n", 1);
	}
	sha256_final(&s, out);
}

/* The element lines of one set (400k at 100k networks): packed in one
 * buffer, each ended by a NUL, in the order read.  A malloc'd string a
 * line and a qsort of them were a tenth of a read-back. */
struct elines {
	char *buf;
	size_t len, cap;
	size_t *off;             /* where each line starts in buf */
	size_t n, ocap;
};

static int elines_add(struct elines *l, const char *s, size_t n)
{
	int err = array_room((void **)&l->buf, &l->cap, l->len, n + 1, 1,
			     4096);

	err = err ?: array_grow((void **)&l->off, &l->ocap, l->n,
				sizeof(*l->off), 256);
	if (err)
		return err;
	l->off[l->n++] = l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len++] = '\0';
	return 0;
}

static void elines_free(struct elines *l)
{
	free(l->buf);
	free(l->off);
	memset(l, 0, sizeof(*l));
}

static int cmp_eline(const void *a, const void *b, void *buf)
{
	return strcmp((const char *)buf + *(const size_t *)a,
		      (const char *)buf + *(const size_t *)b);
}

/* The digest lines_digest() gives the same lines: sorted, one "\n" after
 * each.  A dump gives an interval set's elements in key order, one way or
 * the other: then no sort is needed. */
static void elines_digest(struct elines *l, uint8_t out[32])
{
	bool up = true, down = true;
	struct sha256 s;

	for (size_t i = 1; i < l->n && (up || down); i++) {
		int c = strcmp(l->buf + l->off[i - 1], l->buf + l->off[i]);

		up = up && c <= 0;
		down = down && c >= 0;
	}
	if (!up && down) {
		for (size_t i = 0, j = l->n - 1; i < j; i++, j--) {
			size_t t = l->off[i];

			l->off[i] = l->off[j];
			l->off[j] = t;
		}
	} else if (!up) {
		qsort_r(l->off, l->n, sizeof(*l->off), cmp_eline, l->buf);
	}
	sha256_init(&s);
	for (size_t i = 0; i < l->n; i++) {
		const char *line = l->buf + l->off[i];

		sha256_update(&s, line, strlen(line));
		sha256_update(&s, "\n", 1);
	}
	sha256_final(&s, out);
}

struct fp_ctx {
	const char *table;
	struct fingerprint *fp;
	struct lines lines;      /* table-level canonical lines */
	struct lines setnames;   /* the sets to dump elements of */
	struct elines elems;     /* elements of the set being dumped */
	const struct fp_sets *known;   /* sets not to dump (may be NULL) */
	char chain[256];         /* rule numbering within a chain */
	size_t chain_rule;
};

/* by hand: one sprintf per byte was a tenth of a 100k read-back */
static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = 0;
}

static bool ours(struct fp_ctx *x, const char *table)
{
	return table && !strcmp(table, x->table);
}

/* A line of an object of our table, counted in *count. */
__attribute__((format(printf, 5, 6)))
static int ours_line(struct fp_ctx *x, const char *table, size_t *count,
		     struct lines *l, const char *fmt, ...)
{
	char *line;
	va_list ap;

	if (!ours(x, table))
		return 0;
	(*count)++;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	return lines_add(l, line);
}

static int table_seen(void *obj, void *data)
{
	const struct nftnl_table *t = obj;
	struct fp_ctx *x = data;
	char *line = NULL;

	if (!ours(x, nftnl_table_get_str(t, NFTNL_TABLE_NAME)))
		return 0;
	x->fp->exists = true;
	x->fp->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	/* OWNER is who holds it now, not what it enforces. */
	if (asprintf(&line, "T flags=0x%x",
		     x->fp->flags & ~NFT_TABLE_F_OWNER) < 0)
		line = NULL;
	return lines_add(&x->lines, line);
}

static int chain_seen(void *obj, void *data)
{
	const struct nftnl_chain *c = obj;
	struct fp_ctx *x = data;
	bool base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);

	return ours_line(x, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		&x->fp->chains, &x->lines,
		"C %s hook=%d prio=%d policy=%u type=%s",
		nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
		base ? (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) : -1,
		base ? nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0,
		base ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : 0,
		base ? nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE) : "-");
}

/* "R chain 0007 [expr] [expr] ... udata=hex" */
static char *rule_line(struct fp_ctx *x, const struct nftnl_rule *r)
{
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	char *out = NULL, buf[1024];
	size_t len = 0;
	FILE *f;

	if (!it)
		return NULL;
	if (strcmp(chain, x->chain)) {
		snprintf(x->chain, sizeof(x->chain), "%s", chain);
		x->chain_rule = 0;
	}
	f = open_memstream(&out, &len);
	if (!f) {
		nftnl_expr_iter_destroy(it);
		return NULL;
	}
	fprintf(f, "R %s %06zu", chain, ++x->chain_rule);
	while ((e = nftnl_expr_iter_next(it))) {
		nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0);
		fprintf(f, " [%s %s]", nftnl_expr_get_str(e, NFTNL_EXPR_NAME),
			buf);
	}
	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
		uint32_t n;
		const uint8_t *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA,
						       &n);
		char h[2 * 256 + 1];

		hex(h, u, n > 256 ? 256 : n);
		fprintf(f, " udata=%s", h);
	}
	nftnl_expr_iter_destroy(it);
	fclose(f);
	return out;
}

static int rule_seen(void *obj, void *data)
{
	const struct nftnl_rule *r = obj;
	struct fp_ctx *x = data;

	if (!ours(x, nftnl_rule_get_str(r, NFTNL_RULE_TABLE)))
		return 0;
	x->fp->rules++;
	return lines_add(&x->lines, rule_line(x, r));
}

/* Its name, then the header fields; elements come later. */
static int set_seen(void *obj, void *data)
{
	const struct nftnl_set *s = obj;
	struct fp_ctx *x = data;

	return ours_line(x, nftnl_set_get_str(s, NFTNL_SET_TABLE),
		&x->fp->sets, &x->setnames,
		"%s flags=0x%x key=%u/%u data=%u/%u",
		nftnl_set_get_str(s, NFTNL_SET_NAME),
		kread_set_u32(s, NFTNL_SET_FLAGS),
		kread_set_u32(s, NFTNL_SET_KEY_TYPE),
		kread_set_u32(s, NFTNL_SET_KEY_LEN),
		kread_set_u32(s, NFTNL_SET_DATA_TYPE),
		kread_set_u32(s, NFTNL_SET_DATA_LEN));
}

/* "%x" of v at p; returns the end. */
static char *put_x32(char *p, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 28;

	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 0xf];
	return p;
}

/* "key f=flags v=verdict chain": hex, "%x", "%x", the chain or nothing */
static int elem_line(struct fp_ctx *x, struct nftnl_set_elem *e)
{
	char line[2 * 64 + 32 + NFT_CHAIN_MAXNAMELEN], *p = line;
	uint32_t len = 0, flags = 0, verdict = 0;
	const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	const char *chain = "";
	size_t clen;

	if (k) {
		if (len > 64)
			len = 64;
		hex(p, k, len);
		p += 2 * len;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
		verdict = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
		chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
	memcpy(p, " f=", 3);
	p = put_x32(p + 3, flags);
	memcpy(p, " v=", 3);
	p = put_x32(p + 3, verdict);
	*p++ = ' ';
	clen = strnlen(chain, NFT_CHAIN_MAXNAMELEN - 1);
	memcpy(p, chain, clen);
	p += clen;
	x->fp->elements++;
	return elines_add(&x->elems, line, (size_t)(p - line));
}

static int elems_seen(void *obj, void *data)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(obj);
	struct nftnl_set_elem *e;
	int err = 0;

	while (it && !err && (e = nftnl_set_elems_iter_next(it)))
		err = elem_line(data, e);
	if (it)
		nftnl_set_elems_iter_destroy(it);
	return err;
}

static int obj_seen(void *obj, void *data)
{
	struct nftnl_obj *o = obj;
	struct fp_ctx *x = data;

	return ours_line(x, nftnl_obj_get_str(o, NFTNL_OBJ_TABLE),
			 &x->fp->objects, &x->lines, "O %s type=%u",
			 nftnl_obj_get_str(o, NFTNL_OBJ_NAME),
			 nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE));
}

/* A set's line: "S header elems=<digest of its element lines>". */
static int set_line_digest(struct fp_ctx *x, const char *hdr,
			   const uint8_t d[32])
{
	char hexd[65], *line = NULL;

	sha256_hex(d, hexd);
	if (asprintf(&line, "S %s elems=%s", hdr, hexd) < 0)
		line = NULL;
	return lines_add(&x->lines, line);
}

/* The same from the element lines; empties elems. */
static int set_line(struct fp_ctx *x, const char *hdr, struct elines *elems)
{
	uint8_t d[32];

	elines_digest(elems, d);
	elines_free(elems);
	return set_line_digest(x, hdr, d);
}

/* The set's name from its header ("name flags=..."), cut to size - 1. */
static void hdr_name(const char *hdr, char *name, size_t size)
{
	size_t n = strcspn(hdr, " ");

	if (n >= size)
		n = size - 1;
	memcpy(name, hdr, n);
	name[n] = '\0';
}

void fp_sets_free(struct fp_sets *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const struct fp_set *fp_sets_find(const struct fp_sets *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

/* Elements of one set ("name flags=..." header in setnames), hashed into
 * a "S header elems=<digest>" line; a set in x->known is not dumped. */
static int dump_set_elems(struct nl *nl, struct kread *r, const char *hdr)
{
	struct fp_ctx *x = r->data;
	char name[NFT_SET_MAXNAMELEN];   /* any set of the table, whole */
	const struct fp_set *k;
	int err;

	hdr_name(hdr, name, sizeof(name));
	k = fp_sets_find(x->known, name);
	if (k) {
		x->fp->elements += k->elements;
		return set_line_digest(x, hdr, k->digest);
	}
	r->set = name;
	err = kread(nl, r, NFT_MSG_GETSETELEM, elems_seen);
	r->set = NULL;
	return err ? err : set_line(x, hdr, &x->elems);
}

static void fp_discard(void *ctx)
{
	struct fp_ctx *x = ctx;

	lines_free(&x->lines);
	lines_free(&x->setnames);
	elines_free(&x->elems);
	memset(x->fp, 0, sizeof(*x->fp));
	x->chain[0] = '\0';
	x->chain_rule = 0;
}

/* One read of the table; kread_consistent() repeats it when the ruleset
 * changed meanwhile. */
static int dump_once(struct nl *nl, void *ctx)
{
	struct fp_ctx *x = ctx;
	struct kread r = { .family = NFPROTO_INET, .table = x->table,
			   .bad_msg = -EIO, .data = x };
	int err;

	fp_discard(x);
	err = kread(nl, &r, NFT_MSG_GETTABLE, table_seen);
	if (err == -ENOENT || (!err && !x->fp->exists))
		return 0;
	err = err ?: kread(nl, &r, NFT_MSG_GETCHAIN, chain_seen);
	err = err ?: kread(nl, &r, NFT_MSG_GETRULE, rule_seen);
	err = err ?: kread(nl, &r, NFT_MSG_GETSET, set_seen);
	for (size_t i = 0; !err && i < x->setnames.n; i++)
		err = dump_set_elems(nl, &r, x->setnames.v[i]);
	err = err ?: kread(nl, &r, NFT_MSG_GETOBJ, obj_seen);
	if (err)
		fp_discard(x);
	return err;
}

int fingerprint_read(struct nl *nl, const char *table, struct fingerprint *fp)
{
	return fingerprint_read_known(nl, table, NULL, fp);
}

int fingerprint_read_known(struct nl *nl, const char *table,
			   const struct fp_sets *known, struct fingerprint *fp)
{
	struct fp_ctx x = { .table = table, .fp = fp, .known = known };
	struct kread_pass p = { .read = dump_once, .discard = fp_discard,
				.ctx = &x };
	uint32_t genid = 0;
	int err = kread_consistent(nl, &p, &genid);

	if (!err)
		lines_digest(&x.lines, fp->digest);
	lines_free(&x.lines);
	lines_free(&x.setnames);
	elines_free(&x.elems);
	fp->genid = genid;
	return err;
}

bool fingerprint_equal(const struct fingerprint *a, const struct fingerprint *b)
{
	return a->exists == b->exists &&
	       !memcmp(a->digest, b->digest, sizeof(a->digest));
}

/* The expected fingerprint: the messages of a batch that creates the table
 * from nothing (nft_batch_build_full) go through the same callbacks as the
 * kernel's dump, so the two digests are equal exactly when the kernel holds
 * what was compiled.  Elements are collected per set, as a dump of each
 * set would give them. */
struct expect_ctx {
	struct fp_ctx x;
	struct elines *set_elems;  /* parallel to x.setnames */
	size_t cap;
};

/* libnftnl numbers the elements of a message it builds 1, 2, 3... (the
 * kernel takes any type) but parses only NFTA_LIST_ELEM: a copy of the
 * message with every element renumbered parses as a dump's would. */
static struct nlmsghdr *elems_renumbered(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
	struct nlattr *list, *el;

	if (!copy)
		return NULL;
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(list, copy, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, list)
			el->nla_type = (uint16_t)((el->nla_type & ~NLA_TYPE_MASK) |
						  NFTA_LIST_ELEM);
	}
	return copy;
}

static int expect_elems(struct expect_ctx *e, const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = elems_renumbered(nlh);
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;
	size_t i, len;
	int err = -EIO;

	if (!copy || !s || nftnl_set_elems_nlmsg_parse(copy, s) < 0)
		goto out;
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	len = name ? strlen(name) : 0;
	for (i = 0; i < e->x.setnames.n; i++)
		if (!strncmp(e->x.setnames.v[i], name ? name : "", len) &&
		    e->x.setnames.v[i][len] == ' ')
			break;
	err = -ENOENT;                 /* elements before their set */
	if (i == e->x.setnames.n)
		goto out;
	e->x.elems = e->set_elems[i];
	err = kread_msg(NFT_MSG_GETSETELEM, copy, -EIO, elems_seen, &e->x);
	e->set_elems[i] = e->x.elems;
	memset(&e->x.elems, 0, sizeof(e->x.elems));
out:
	nftnl_set_free(s);
	free(copy);
	return err;
}

static int expect_set(struct expect_ctx *e, const struct nlmsghdr *nlh)
{
	if (e->x.setnames.n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct elines *v = realloc(e->set_elems, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + e->cap, 0, (cap - e->cap) * sizeof(*v));
		e->set_elems = v;
		e->cap = cap;
	}
	return kread_msg(NFT_MSG_GETSET, nlh, -EIO, set_seen, &e->x);
}

static int expect_msg(struct expect_ctx *e, const struct nlmsghdr *nlh)
{
	uint16_t get;
	kread_fn fn;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;                 /* batch begin and end */
	/* each message as the kernel would answer a GET of its kind */
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE: get = NFT_MSG_GETTABLE; fn = table_seen; break;
	case NFT_MSG_NEWCHAIN: get = NFT_MSG_GETCHAIN; fn = chain_seen; break;
	case NFT_MSG_NEWRULE: return 0;  /* expect_rules() */
	case NFT_MSG_NEWOBJ: get = NFT_MSG_GETOBJ; fn = obj_seen; break;
	case NFT_MSG_NEWSET: return expect_set(e, nlh);
	case NFT_MSG_NEWSETELEM: return expect_elems(e, nlh);
	default: return -EINVAL;  /* a full batch deletes nothing */
	}
	return kread_msg(get, nlh, -EIO, fn, &e->x);
}

static int expect_walk(struct expect_ctx *e, struct batch *bt)
{
	int n = nftnl_batch_iovec_len(bt->b), err = 0;
	struct iovec *iov = calloc((size_t)n, sizeof(*iov));

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(bt->b, iov, n);
	for (int i = 0; i < n && !err; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = (int)iov[i].iov_len;

		for (; !err && mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len))
			err = expect_msg(e, nlh);
	}
	free(iov);
	return err;
}

/* Rules from the objects the batch was built from, not from its messages:
 * libnftnl writes some names without their NUL (objref), which the kernel
 * accepts and its own parser would read past; the kernel dumps them
 * terminated.  Chains in the order of the ruleset, rules in chain order. */
static int expect_rules(struct expect_ctx *e, const struct ruleset *rs)
{
	struct nft_ctx nx = { .rs = rs, .table = rs->table };
	int err = 0;

	for (size_t i = 0; i < rs->chain_count && !err; i++) {
		const struct rs_chain *c = &rs->chains[i];

		for (size_t j = 0; j < c->rule_count && !err; j++) {
			struct nftnl_rule *r;

			err = nft_rule_build(&nx, c->name, &c->rules[j], &r);
			if (err)
				break;
			err = lines_add(&e->x.lines, rule_line(&e->x, r));
			e->x.fp->rules++;
			nftnl_rule_free(r);
		}
	}
	return err;
}

/* One element line of an address set, as elem_line() gives the kernel's
 * answer for it: the start of an interval carries no flags, its end the
 * INTERVAL_END flag. */
static void addr_line(struct sha256 *h, const uint8_t *key, size_t len,
		      bool end, size_t *count)
{
	char line[2 * 16 + 1];

	hex(line, key, len);
	sha256_update(h, line, 2 * len);
	sha256_update(h, end ? " f=1 v=0 \n" : " f=0 v=0 \n", 10);
	(*count)++;
}

/* The digest of an address set's element lines straight from its packed
 * intervals, in the elements msg_addr_chunk() sends: each interval's
 * start, and its end (the address after its last) unless it reaches the
 * top of the space.  Keys of one width sort as their lines do: the starts
 * and the ends are each ascending, so the sorted lines are their merge
 * (an end equal to the next start after it: "f=0" < "f=1"); no line is
 * kept or sorted, where the batch's way cost ~1.5 us an element. */
static void addr_set_digest(const struct rs_set *s, uint8_t out[32],
			    size_t *count)
{
	size_t len = s->key == RS_KEY_IPV4 ? 4 : 16;
	bool pending = false;
	struct sha256 h;
	struct rs_iter it;
	struct rs_elem e;
	uint8_t end[16];

	*count = 0;
	sha256_init(&h);
	set_iter_begin(&it);
	while (set_iter_next(s, &it, &e)) {
		if (pending && memcmp(end, e.low, len) < 0) {
			addr_line(&h, end, len, true, count);
			pending = false;
		}
		addr_line(&h, e.low, len, false, count);
		if (pending)
			addr_line(&h, end, len, true, count);
		pending = addr_next(end, e.high, len);
	}
	if (pending)
		addr_line(&h, end, len, true, count);
	sha256_final(&h, out);
}

/* Set i's line and digest: taken from known, computed from the compiled
 * intervals (address sets), or from the batch's elements. */
static int expect_set_line(struct expect_ctx *e, const struct ruleset *rs,
			   const struct fp_sets *known, size_t i,
			   struct fp_set *out)
{
	const char *hdr = e->x.setnames.v[i];
	const struct fp_set *k;
	const struct rs_set *s;

	hdr_name(hdr, out->name, sizeof(out->name));
	k = fp_sets_find(known, out->name);
	s = ruleset_find_set(rs, out->name);
	if (k) {
		memcpy(out->digest, k->digest, sizeof(out->digest));
		out->elements = k->elements;
	} else if (s && set_packed(s)) {
		addr_set_digest(s, out->digest, &out->elements);
	} else {   /* elem_line() counted them */
		out->elements = e->set_elems[i].n;
		elines_digest(&e->set_elems[i], out->digest);
		e->x.fp->elements -= out->elements;
	}
	e->x.fp->elements += out->elements;
	return set_line_digest(&e->x, hdr, out->digest);
}

/* Which sets' elements the batch leaves out: those known, and address
 * sets (addr_set_digest()).  NULL on ENOMEM. */
static bool *elems_left_out(const struct ruleset *rs,
			    const struct fp_sets *known)
{
	bool *v = calloc(rs->set_count ? rs->set_count : 1, sizeof(*v));

	for (size_t i = 0; v && i < rs->set_count; i++)
		v[i] = set_packed(&rs->sets[i]) ||
		       fp_sets_find(known, rs->sets[i].name);
	return v;
}

int fingerprint_expect(struct nl *nl, const struct ruleset *rs,
		       uint32_t table_flags, const struct fp_sets *known,
		       struct fingerprint *fp, struct fp_sets *sets)
{
	struct expect_ctx e = { .x = { .table = rs->table, .fp = fp } };
	bool *left_out = elems_left_out(rs, known);
	struct fp_sets all = { 0 };
	struct batch bt;
	int err;

	memset(fp, 0, sizeof(*fp));
	if (!left_out)
		return -ENOMEM;
	err = nft_batch_build_full(nl, rs, table_flags, left_out, &bt);
	free(left_out);
	if (err)
		return err;
	err = expect_walk(&e, &bt);
	err = err ?: expect_rules(&e, rs);
	all.v = calloc(e.x.setnames.n ? e.x.setnames.n : 1, sizeof(*all.v));
	if (!all.v)
		err = err ?: -ENOMEM;
	for (size_t i = 0; !err && i < e.x.setnames.n; i++, all.n++)
		err = expect_set_line(&e, rs, known, i, &all.v[i]);
	if (!err) {
		fp->flags = table_flags;
		lines_digest(&e.x.lines, fp->digest);
		fp->computed = true;
	}
	if (!err && sets) {
		fp_sets_free(sets);
		*sets = all;
	} else {
		fp_sets_free(&all);
	}
	for (size_t i = 0; i < e.cap; i++)
		elines_free(&e.set_elems[i]);
	free(e.set_elems);
	lines_free(&e.x.lines);
	lines_free(&e.x.setnames);
	batch_free(&bt);
	return err;
}
