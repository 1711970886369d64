/* render.c - the compiled ruleset as nft text (for --print, review and the
 * `nft -f` baseline).  What is printed is what nft.c programs. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"
#include "ruleset.h"

static int bit_at(const uint8_t *a, size_t i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* The prefix length if [lo, hi] is exactly one prefix, else -1. */
static int interval_prefix(const uint8_t *lo, const uint8_t *hi, size_t len)
{
	size_t bits = len * 8, p = 0;

	while (p < bits && bit_at(lo, p) == bit_at(hi, p))
		p++;
	for (size_t i = p; i < bits; i++)
		if (bit_at(lo, i) != 0 || bit_at(hi, i) != 1)
			return -1;
	return (int)p;
}

static void print_addr_elem(FILE *out, const struct rs_set *s,
			    const struct rs_elem *e)
{
	int fam = s->key == RS_KEY_IPV4 ? AF_INET : AF_INET6;
	size_t len = fam == AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int p = interval_prefix(e->low, e->high, len);

	inet_ntop(fam, e->low, a, sizeof(a));
	if (p == (int)len * 8) {
		fputs(a, out);
	} else if (p >= 0) {
		fprintf(out, "%s/%d", a, p);
	} else {
		inet_ntop(fam, e->high, b, sizeof(b));
		fprintf(out, "%s-%s", a, b);
	}
}

static void print_elem(FILE *out, const struct rs_set *s,
		       const struct rs_elem *e)
{
	uint32_t mark;

	switch (s->key) {
	case RS_KEY_IPV4:
	case RS_KEY_IPV6:
		print_addr_elem(out, s, e);
		break;
	case RS_KEY_IFNAME:
		fprintf(out, "\"%s\"", (const char *)e->low);
		break;
	case RS_KEY_MARK:
		memcpy(&mark, e->low, sizeof(mark));
		fprintf(out, "0x%08x", mark);
		break;
	default:
		break;
	}
	if (s->is_map)
		fprintf(out, " : %s %s",
			e->verdict == RS_VERDICT_JUMP ? "jump" : "goto",
			e->chain);
}

static void render_set(FILE *out, const struct rs_set *s)
{
	static const char *const types[RS_KEY_MAX] = {
		[RS_KEY_IPV4] = "ipv4_addr", [RS_KEY_IPV6] = "ipv6_addr",
		[RS_KEY_IFNAME] = "ifname", [RS_KEY_MARK] = "mark",
	};

	fprintf(out, "\t%s %s {\n", s->is_map ? "map" : "set", s->name);
	fprintf(out, "\t\ttype %s%s\n", types[s->key],
		s->is_map ? " : verdict" : "");
	if (s->interval)
		fputs("\t\tflags interval\n", out);
	if (s->elem_count) {
		struct rs_iter it;
		struct rs_elem e;

		fputs("\t\telements = { ", out);
		set_iter_begin(&it);
		for (size_t i = 0; set_iter_next(s, &it, &e); i++) {
			if (i)
				fputs(i % 4 ? ", " : ",\n\t\t\t     ", out);
			print_elem(out, s, &e);
		}
		fputs(" }\n", out);
	}
	fputs("\t}\n\n", out);
}

static const char *set_family(const struct ruleset *rs, const char *name)
{
	const struct rs_set *s = ruleset_find_set(rs, name);

	return s && s->key == RS_KEY_IPV6 ? "ip6" : "ip";
}

static const char *l4_name(uint32_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return "?";
	}
}

static void render_ct_state(FILE *out, uint32_t mask)
{
	static const char *const names[] = { "invalid", "established",
					     "related", "new", "untracked" };
	static const uint32_t bits[] = { 1, 2, 4, 8, 64 };
	const char *sep = "ct state ";

	for (size_t i = 0; i < 5; i++) {
		if (mask & bits[i]) {
			fprintf(out, "%s%s", sep, names[i]);
			sep = ",";
		}
	}
}

/* The ops that print as fixed words then their name (a set, a map, an
 * interface, a counter) or number: the rest need render_op's switch. */
static const struct {
	const char *before, *after;
	bool num;                  /* u.num, else u.name */
} plain_ops[RS_OP_KIND_MAX] = {
	[RS_OP_IIFNAME_EQ] = { "iifname \"", "\"", false },
	[RS_OP_HOPLIMIT_EQ] = { "ip6 hoplimit ", "", true },
	[RS_OP_TTL_EQ] = { "ip ttl ", "", true },
	[RS_OP_CT_MARK_SET_IN] = { "ct mark @", "", false },
	[RS_OP_IIFNAME_VMAP] = { "iifname vmap @", "", false },
	[RS_OP_OIFNAME_VMAP] = { "oifname vmap @", "", false },
	[RS_OP_COUNTER] = { "counter name ", "", false },
};

/* Prints op if it is one of plain_ops; false if it is not. */
static bool render_plain_op(FILE *out, const struct rs_op *op)
{
	if ((unsigned)op->kind >= RS_OP_KIND_MAX || !plain_ops[op->kind].before)
		return false;
	if (plain_ops[op->kind].num)
		fprintf(out, "%s%u", plain_ops[op->kind].before, op->u.num);
	else
		fprintf(out, "%s%s%s", plain_ops[op->kind].before, op->u.name,
			plain_ops[op->kind].after);
	return true;
}

static void render_op(FILE *out, const struct ruleset *rs,
		      const struct rs_op *op, uint32_t *l4)
{
	const char *t;

	if (render_plain_op(out, op))
		return;
	switch (op->kind) {
	case RS_OP_NFPROTO:
		fprintf(out, "meta nfproto %s",
			op->u.num == NFPROTO_IPV4 ? "ipv4" : "ipv6");
		break;
	case RS_OP_SADDR_SET:
	case RS_OP_DADDR_SET:
		fprintf(out, "%s %s %s@%s", set_family(rs, op->u.name),
			op->kind == RS_OP_SADDR_SET ? "saddr" : "daddr",
			op->neg ? "!= " : "", op->u.name);
		break;
	case RS_OP_SADDR_VMAP:
	case RS_OP_DADDR_VMAP:
		fprintf(out, "%s %s vmap @%s", set_family(rs, op->u.name),
			op->kind == RS_OP_SADDR_VMAP ? "saddr" : "daddr",
			op->u.name);
		break;
	case RS_OP_L4PROTO:
		*l4 = op->u.num;   /* printed with the port or type */
		if (strcmp(l4_name(op->u.num), "?") != 0)
			return;
		fprintf(out, "meta l4proto %u", op->u.num);   /* VRRP */
		break;
	case RS_OP_DPORT:
		fprintf(out, "%s dport %u", l4_name(*l4), op->u.range.low);
		if (op->u.range.high != op->u.range.low)
			fprintf(out, "-%u", op->u.range.high);
		break;
	case RS_OP_ICMP_TYPE:
		t = icmp_type_name(*l4, op->u.num);
		if (t)
			fprintf(out, "%s type %s", l4_name(*l4), t);
		else
			fprintf(out, "%s type %u", l4_name(*l4), op->u.num);
		break;
	case RS_OP_CT_STATE:
		render_ct_state(out, op->u.num);
		break;
	case RS_OP_LIMIT:
		fprintf(out, "limit rate %u/second burst %u packets",
			op->u.limit.rate, op->u.limit.burst);
		break;
	case RS_OP_LOG:
		fprintf(out, "log prefix \"%s\" group %u", op->u.log.prefix,
			op->u.log.group);
		break;
	case RS_OP_CT_MARK_ASSIGN:
		fprintf(out, "ct mark set 0x%08x", op->u.num);
		break;
	default:
		return;
	}
}

static void render_rule(FILE *out, const struct ruleset *rs,
			const struct rs_rule *r)
{
	static const char *const verdicts[RS_VERDICT_MAX] = {
		[RS_VERDICT_ACCEPT] = "accept", [RS_VERDICT_DROP] = "drop",
		[RS_VERDICT_JUMP] = "jump", [RS_VERDICT_GOTO] = "goto",
	};
	uint32_t l4 = 0;
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);

	if (!m)
		return;
	for (size_t i = 0; i < r->op_count; i++) {
		long before = ftell(m);

		if (before > 0)
			fputc(' ', m);
		render_op(m, rs, &r->ops[i], &l4);
		if (ftell(m) == before + 1)     /* op printed nothing */
			fseek(m, before, SEEK_SET);
	}
	if (r->verdict != RS_VERDICT_NONE)
		fprintf(m, "%s%s", ftell(m) ? " " : "", verdicts[r->verdict]);
	if (r->target)
		fprintf(m, " %s", r->target);
	if (r->origin.what)
		fprintf(m, " comment \"%s\"", r->origin.what);
	fclose(m);
	fprintf(out, "\t\t%s\n", line);
	free(line);
}

static void render_chain(FILE *out, const struct ruleset *rs,
			 const struct rs_chain *c)
{
	fprintf(out, "\tchain %s {\n", c->name);
	if (c->hook != RS_HOOK_NONE)
		fprintf(out, "\t\ttype filter hook %s priority filter%s; "
			"policy drop;\n",
			c->hook == RS_HOOK_INPUT ? "input" : "forward",
			c->priority ? " + 10" : "");
	for (size_t i = 0; i < c->rule_count; i++)
		render_rule(out, rs, &c->rules[i]);
	fputs("\t}\n", out);
}

int ruleset_render(const struct ruleset *rs, FILE *out)
{
	fprintf(out, "table inet %s {\n", rs->table);
	for (size_t i = 0; i < rs->obj_count; i++)
		fprintf(out, "\tcounter %s { }\n", rs->objs[i].name);
	if (rs->obj_count)
		fputc('\n', out);
	for (size_t i = 0; i < rs->set_count; i++)
		render_set(out, &rs->sets[i]);
	for (size_t i = 0; i < rs->chain_count; i++) {
		if (i)
			fputc('\n', out);
		render_chain(out, rs, &rs->chains[i]);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
