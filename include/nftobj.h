/* nftobj.h - libnftnl's objects by kind, for the code that handles several
 * alike: the one reader (kread.c) and the batch messages (nft.c). */
#ifndef SEGMENTD_NFTOBJ_H
#define SEGMENTD_NFTOBJ_H

struct nlmsghdr;

enum nftobj {
	NFTOBJ_TABLE,
	NFTOBJ_CHAIN,
	NFTOBJ_RULE,
	NFTOBJ_SET,
	NFTOBJ_ELEMS,        /* a struct nftnl_set with its elements */
	NFTOBJ_OBJ,          /* a stateful object (our counters) */
};

void *nftobj_alloc(enum nftobj k);
/* o may be NULL (libnftnl's own free functions do not take it). */
void nftobj_free(enum nftobj k, void *o);
/* libnftnl's parser of a message into o: < 0 when it does not parse. */
int nftobj_parse(enum nftobj k, const struct nlmsghdr *nlh, void *o);
/* libnftnl's writer of o's attributes into a message. */
void nftobj_payload(enum nftobj k, struct nlmsghdr *nlh, void *o);

#endif
