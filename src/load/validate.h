/* validate.h - the parts of model_validate() (validate*.c only). */
#ifndef SEGMENTD_VALIDATE_H
#define SEGMENTD_VALIDATE_H

#include "diag.h"
#include "model.h"
#include "zonenets.h"

/* validate_net.c: no address in two zones, at most one "any" zone, host
 * addresses inside their zone, from zn (zone_nets_build(m)).  Returns 0 or
 * -ENOMEM; problems go to d. */
int validate_networks(const struct model *m, const struct zone_nets *zn,
		      struct diags *d);
/* validate_guard.c: the guardrails of one flow (errors only). */
void validate_guardrails(const struct model *m, const struct flow *f,
			 struct diags *d);
/* validate_ha.c: the guardrails of the ha group.  Returns 0; problems go
 * to d. */
int validate_ha(const struct model *m, struct diags *d);

#endif
