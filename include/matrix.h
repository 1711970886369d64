/* matrix.h - the zone-to-zone matrix: who may open connections to whom.
 *
 * Computed twice: from the model (intended) and from our rules read back
 * from the kernel (enforced).  An edge is one (source endpoint, target
 * endpoint, service) that may start a connection between two zones (or to
 * the gateway itself).  Pure: no I/O but rendering to a FILE. */
#ifndef SEGMENTD_MATRIX_H
#define SEGMENTD_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "model.h"
#include "readback.h"

#define MATRIX_GATEWAY "gateway"

struct matrix_edge {
	char from_zone[40], to_zone[40];   /* to_zone "gateway": management */
	char src[40], dst[40];             /* host or zone names */
	char service[48];                  /* "tcp/443", "icmp/echo-request",
					    * "any" (intra-zone accept) */
	int family;                        /* 4 or 6 (0: unknown) */
};

struct matrix {
	struct matrix_edge *edges;         /* sorted, unique */
	size_t count;
};

int matrix_from_model(const struct model *m, time_t now, struct matrix *out);
/* The enforced matrix from the rules read back.  m: the model the rules
 * are compared with, for one thing only: the any zone's rules with
 * any_zone = "negated" name no set of it, only negated lookups of the
 * other zones' sets; they are read as that zone when they name exactly
 * those the compiler emits (every other zone with addresses in the
 * rule's family, in zone order), else as an unknown endpoint. */
int matrix_from_readback(const struct readback *rb, const struct model *m,
			 struct matrix *out);
void matrix_free(struct matrix *mx);
/* (source, target, service) triples, IPv4 and IPv6 of one counted once:
 * what `segmentctl matrix` shows. */
size_t matrix_triples(const struct matrix *mx);
/* Number of edges in one and not the other (0: they match). */
size_t matrix_differences(const struct matrix *a, const struct matrix *b);

/* Renders intended (and, if given, the enforced matrix and their
 * differences).  Zones in the model's order. */
void matrix_render_text(const struct model *m, const struct matrix *intended,
			const struct matrix *enforced, FILE *out);
void matrix_render_json(const struct model *m, const struct matrix *intended,
			const struct matrix *enforced, FILE *out);
/* "zones": [names...] as a member of the object J is writing. */
struct json;
void matrix_zones_json(struct json *j, const struct model *m);
void matrix_render_dot(const struct model *m, const struct matrix *intended,
		       const struct matrix *enforced, FILE *out);

#endif
