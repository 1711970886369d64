/* nftobj.c - libnftnl's objects by kind (nftobj.h): one line a kind, so
 * that a kind is added in one place per step. */
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nftobj.h"

void *nftobj_alloc(enum nftobj k)
{
	switch (k) {
	case NFTOBJ_TABLE: return nftnl_table_alloc();
	case NFTOBJ_CHAIN: return nftnl_chain_alloc();
	case NFTOBJ_RULE: return nftnl_rule_alloc();
	case NFTOBJ_SET: case NFTOBJ_ELEMS: return nftnl_set_alloc();
	case NFTOBJ_OBJ: return nftnl_obj_alloc();
	}
	return NULL;
}

void nftobj_free(enum nftobj k, void *o)
{
	if (!o)
		return;
	switch (k) {
	case NFTOBJ_TABLE: nftnl_table_free(o); break;
	case NFTOBJ_CHAIN: nftnl_chain_free(o); break;
	case NFTOBJ_RULE: nftnl_rule_free(o); break;
	case NFTOBJ_SET: case NFTOBJ_ELEMS: nftnl_set_free(o); break;
	case NFTOBJ_OBJ: nftnl_obj_free(o); break;
	}
}

int nftobj_parse(enum nftobj k, const struct nlmsghdr *nlh, void *o)
{
	switch (k) {
	case NFTOBJ_TABLE: return nftnl_table_nlmsg_parse(nlh, o);
	case NFTOBJ_CHAIN: return nftnl_chain_nlmsg_parse(nlh, o);
	case NFTOBJ_RULE: return nftnl_rule_nlmsg_parse(nlh, o);
	case NFTOBJ_SET: return nftnl_set_nlmsg_parse(nlh, o);
	case NFTOBJ_ELEMS: return nftnl_set_elems_nlmsg_parse(nlh, o);
	case NFTOBJ_OBJ: return nftnl_obj_nlmsg_parse(nlh, o);
	}
	return -1;
}

void nftobj_payload(enum nftobj k, struct nlmsghdr *nlh, void *o)
{
	switch (k) {
	case NFTOBJ_TABLE: nftnl_table_nlmsg_build_payload(nlh, o); break;
	case NFTOBJ_CHAIN: nftnl_chain_nlmsg_build_payload(nlh, o); break;
	case NFTOBJ_RULE: nftnl_rule_nlmsg_build_payload(nlh, o); break;
	case NFTOBJ_SET: nftnl_set_nlmsg_build_payload(nlh, o); break;
	case NFTOBJ_ELEMS: nftnl_set_elems_nlmsg_build_payload(nlh, o); break;
	case NFTOBJ_OBJ: nftnl_obj_nlmsg_build_payload(nlh, o); break;
	}
}
