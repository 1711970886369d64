/* policy_digest.h - policy_sha256: a digest of the interface-independent
 * intended policy, for a fleet of gateways (sites with other NIC names)
 * to assert that they enforce the same policy.
 *
 * What counts: zones (name, class, networks, intra), hosts (name, zone,
 * role, addresses), flows (name, from, to, both, services, expiry) and
 * management rules (from, services), each canonicalised as `segmentctl
 * diff` does (sets of canonical text, sorted: reordering a list is no
 * change).  What does not: interfaces, comments, justifications, the
 * settings and the ha group.  One line per object, all lines sorted, each
 * ended by "\n", hashed with SHA-256. */
#ifndef SEGMENTD_POLICY_DIGEST_H
#define SEGMENTD_POLICY_DIGEST_H

#include <stdint.h>

#include "model.h"

/* 0 or -ENOMEM.  Pure. */
int model_policy_digest(const struct model *m, uint8_t out[32]);
/* The digest in 64 hex digits, or "" when out of memory. */
void model_policy_hex(const struct model *m, char out[65]);

#endif
