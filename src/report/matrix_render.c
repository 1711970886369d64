/* matrix_render.c - the zone matrix for a terminal (100 columns), as JSON
 * and as a Graphviz graph. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "matrix.h"

#define CELL 10

/* 0 if a and b differ only in their family. */
static int edge_same_but_family(const struct matrix_edge *a,
				const struct matrix_edge *b)
{
	return strcmp(a->from_zone, b->from_zone) ||
	       strcmp(a->to_zone, b->to_zone) || strcmp(a->src, b->src) ||
	       strcmp(a->dst, b->dst) || strcmp(a->service, b->service);
}

/* An IPv6 edge whose IPv4 twin precedes it (printed and counted once). */
static bool twin(const struct matrix *mx, size_t i)
{
	return i > 0 && !edge_same_but_family(&mx->edges[i - 1], &mx->edges[i]);
}

static size_t cell_count(const struct matrix *mx, const char *fz,
			 const char *tz)
{
	size_t n = 0;

	for (size_t i = 0; mx && i < mx->count; i++)
		n += !strcmp(mx->edges[i].from_zone, fz) &&
		     !strcmp(mx->edges[i].to_zone, tz) && !twin(mx, i);
	return n;
}

static bool in(const struct matrix *mx, const struct matrix_edge *e)
{
	for (size_t i = 0; mx && i < mx->count; i++)
		if (!memcmp(&mx->edges[i], e, sizeof(*e)))
			return true;
	return false;
}

/* The grid: rows from, columns to; a cell counts (src, dst, service). */
static void grid(const struct model *m, const struct matrix *mx, FILE *out)
{
	fprintf(out, "%-*s", CELL + 2, "from \\ to");
	for (size_t b = 0; b <= m->zone_count; b++)
		fprintf(out, " %-*.*s", CELL - 1, CELL - 1,
			b < m->zone_count ? m->zones[b].name : MATRIX_GATEWAY);
	fputc('\n', out);
	for (size_t a = 0; a < m->zone_count; a++) {
		fprintf(out, "%-*.*s", CELL + 2, CELL + 1, m->zones[a].name);
		for (size_t b = 0; b <= m->zone_count; b++) {
			const char *tz = b < m->zone_count ? m->zones[b].name
							   : MATRIX_GATEWAY;
			size_t n = cell_count(mx, m->zones[a].name, tz);

			if (n)
				fprintf(out, " %-*zu", CELL - 1, n);
			else
				fprintf(out, " %-*s", CELL - 1, "-");
		}
		fputc('\n', out);
	}
}

/* One line per (zone pair, src, dst): the services, flagged when only one
 * side has them. */
/* "mail-relay (mail-sanitizer)" for relay hosts. */
static void endpoint(const struct model *m, const char *name, FILE *out)
{
	int h = model_find_host(m, name);

	if (h >= 0 && m->hosts[h].role != ROLE_NONE)
		fprintf(out, "%s (%s)", name, host_role_name(m->hosts[h].role));
	else
		fputs(name, out);
}

static bool same_ends(const struct matrix_edge *a, const struct matrix_edge *b)
{
	return !strcmp(a->from_zone, b->from_zone) &&
	       !strcmp(a->to_zone, b->to_zone) && !strcmp(a->src, b->src) &&
	       !strcmp(a->dst, b->dst);
}

static unsigned fam_bit(int family)
{
	return family == 4 ? 1 : family == 6 ? 2 : 0;
}

static const char *fam_note(unsigned mask)
{
	return mask == 1 ? " (IPv4)" : mask == 2 ? " (IPv6)" : "";
}

/* One service of a group [i, j): its families and those the kernel lacks. */
static size_t service_span(const struct matrix *mx, const struct matrix *enf,
			   size_t i, unsigned *fams, unsigned *missing)
{
	size_t k = i;

	*fams = *missing = 0;
	while (k < mx->count && (k == i ||
	       !edge_same_but_family(&mx->edges[i], &mx->edges[k]))) {
		*fams |= fam_bit(mx->edges[k].family);
		if (enf && !in(enf, &mx->edges[k]))
			*missing |= fam_bit(mx->edges[k].family);
		k++;
	}
	return k;
}

/* "  src -> dst (IPv4): tcp/25 tcp/443 ..." wrapped at 100 columns. */
static void group_line(const struct model *m, const struct matrix *mx,
		       const struct matrix *enf, size_t i, size_t j, FILE *out)
{
	unsigned common = 3, fams, missing;
	int col;

	for (size_t k = i; k < j;) {
		k = service_span(mx, enf, k, &fams, &missing);
		common &= fams;
	}
	fputs("  ", out);
	endpoint(m, mx->edges[i].src, out);
	fputs(" -> ", out);
	endpoint(m, mx->edges[i].dst, out);
	col = fprintf(out, "%s:", fam_note(common)) + 40;
	for (size_t k = i; k < j;) {
		size_t next = service_span(mx, enf, k, &fams, &missing);
		char item[128];

		snprintf(item, sizeof(item), " %s%s%s%s", mx->edges[k].service,
			 fams != common ? fam_note(fams) : "",
			 missing ? " [NOT IN KERNEL" : "",
			 missing ? (missing == fams ? "]" : missing == 1 ?
				    ": IPv4]" : ": IPv6]") : "");
		if (col + (int)strlen(item) > 100) {
			fputs("\n     ", out);
			col = 5;
		}
		col += fprintf(out, "%s", item);
		k = next;
	}
	fputc('\n', out);
}

static void details(const struct model *m, const struct matrix *intended,
		    const struct matrix *enf, FILE *out)
{
	for (size_t i = 0, j; i < intended->count; i = j) {
		const struct matrix_edge *e = &intended->edges[i];

		if (!i || strcmp(intended->edges[i - 1].from_zone, e->from_zone) ||
		    strcmp(intended->edges[i - 1].to_zone, e->to_zone))
			fprintf(out, "%s%s > %s\n", i ? "\n" : "", e->from_zone,
				e->to_zone);
		for (j = i + 1; j < intended->count &&
		     same_ends(e, &intended->edges[j]); j++)
			;
		group_line(m, intended, enf, i, j, out);
	}
}

void matrix_render_text(const struct model *m, const struct matrix *intended,
			const struct matrix *enforced, FILE *out)
{
	size_t diff = enforced ? matrix_differences(intended, enforced) : 0;

	fputs("Who may open connections (rows: from, columns: to; a number "
	      "counts source,\ntarget,service triples; - nothing).\n\n", out);
	fputs("Intended (from the config):\n", out);
	grid(m, intended, out);
	if (enforced) {
		fputs("\nEnforced (read back from the kernel):\n", out);
		grid(m, enforced, out);
	}
	fputc('\n', out);
	details(m, intended, enforced, out);
	if (!enforced)
		return;
	for (size_t i = 0; i < enforced->count; i++)
		if (!in(intended, &enforced->edges[i]))
			fprintf(out, "EXTRA IN KERNEL: %s > %s  %s -> %s: %s "
				"(IPv%d)\n", enforced->edges[i].from_zone,
				enforced->edges[i].to_zone,
				enforced->edges[i].src, enforced->edges[i].dst,
				enforced->edges[i].service,
				enforced->edges[i].family);
	fprintf(out, "\n%s\n", diff ? "MISMATCH: the kernel does not enforce "
		"exactly the config" : "The kernel enforces exactly the config.");
}

static void json_edges(struct json *j, const struct matrix *mx)
{
	json_array_open(j);
	for (size_t i = 0; mx && i < mx->count; i++) {
		const struct matrix_edge *e = &mx->edges[i];

		json_object_open(j);
		json_kstr(j, "from_zone", e->from_zone);
		json_kstr(j, "to_zone", e->to_zone);
		json_kstr(j, "from", e->src);
		json_kstr(j, "to", e->dst);
		json_kstr(j, "service", e->service);
		json_kint(j, "family", e->family);
		json_object_close(j);
	}
	json_array_close(j);
}

void matrix_zones_json(struct json *j, const struct model *m)
{
	json_key(j, "zones");
	json_array_open(j);
	for (size_t z = 0; z < m->zone_count; z++)
		json_str(j, m->zones[z].name);
	json_array_close(j);
}

void matrix_render_json(const struct model *m, const struct matrix *intended,
			const struct matrix *enforced, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_open(&j);
	matrix_zones_json(&j, m);
	json_key(&j, "intended");
	json_edges(&j, intended);
	if (enforced) {
		size_t diff = matrix_differences(intended, enforced);

		json_key(&j, "enforced");
		json_edges(&j, enforced);
		json_kuint(&j, "differences", diff);
		json_kbool(&j, "match", !diff);
	}
	json_object_close(&j);
	fputc('\n', out);
}

static void dot_nodes(const struct model *m, FILE *out)
{
	for (size_t z = 0; z < m->zone_count; z++) {
		const struct zone *zone = &m->zones[z];

		fprintf(out, "  subgraph \"cluster_%s\" {\n    label=\"%s (%s)\";\n"
			"    \"%s\" [shape=folder];\n", zone->name, zone->name,
			zone_class_name(zone->class), zone->name);
		for (size_t h = 0; h < m->host_count; h++) {
			const struct host *host = &m->hosts[h];

			if (host->zone != z)
				continue;
			fprintf(out, "    \"%s\" [shape=box%s];\n", host->name,
				host_role_is_relay(host->role) ?
				",style=filled,fillcolor=lightyellow" : "");
		}
		fputs("  }\n", out);
	}
	fprintf(out, "  \"%s\" [shape=doubleoctagon];\n", MATRIX_GATEWAY);
}

void matrix_render_dot(const struct model *m, const struct matrix *intended,
		       const struct matrix *enforced, FILE *out)
{
	fputs("digraph segmentd {\n  rankdir=LR;\n  node [fontname=\"sans\"];\n",
	      out);
	dot_nodes(m, out);
	for (size_t i = 0; i < intended->count; i++) {
		const struct matrix_edge *e = &intended->edges[i];
		bool missing = enforced && !in(enforced, e);

		if (twin(intended, i) && !missing)
			continue;
		fprintf(out, "  \"%s\" -> \"%s\" [label=\"%s\"%s];\n", e->src,
			e->dst, e->service, missing ? ",color=red" : "");
	}
	for (size_t i = 0; enforced && i < enforced->count; i++) {
		const struct matrix_edge *e = &enforced->edges[i];

		if (!in(intended, e))
			fprintf(out, "  \"%s\" -> \"%s\" [label=\"%s (kernel "
				"only)\",color=red,style=dashed];\n", e->src,
				e->dst, e->service);
	}
	fputs("}\n", out);
}
