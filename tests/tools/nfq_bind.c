/* nfq_bind.c - a process bound to an NFQUEUE, for tests/kernel/hooks.sh.
 *
 *   nfq_bind -r READY QUEUE
 *       Binds nfnetlink_queue number QUEUE (it then shows in
 *       /proc/net/netfilter/nfnetlink_queue, as a real queue handler
 *       would), writes READY and waits for SIGTERM.  It gives no verdicts:
 *       the test queues no traffic to it.  Exit 0 on SIGTERM, 1 on error.
 */
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* One NFQNL_MSG_CONFIG with NFQA_CFG_CMD BIND, acknowledged. */
static int queue_bind(int fd, unsigned queue)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg g;
		struct nlattr a;
		struct nfqnl_msg_config_cmd cmd;
	} req;
	char buf[512];
	const struct nlmsghdr *ans = (const void *)buf;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.g.nfgen_family = AF_UNSPEC;
	req.g.version = NFNETLINK_V0;
	req.g.res_id = htons((unsigned short)queue);
	req.a.nla_len = sizeof(req.a) + sizeof(req.cmd);
	req.a.nla_type = NFQA_CFG_CMD;
	req.cmd.command = NFQNL_CFG_CMD_BIND;
	if (send(fd, &req, sizeof(req), 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr) || ans->nlmsg_type != NLMSG_ERROR)
		return -1;
	return ((const struct nlmsgerr *)NLMSG_DATA(ans))->error;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	FILE *ready;
	int fd, err;

	if (argc != 4 || strcmp(argv[1], "-r")) {
		fprintf(stderr, "usage: nfq_bind -r READY QUEUE\n");
		return 1;
	}
	signal(SIGTERM, on_term);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("nfq_bind: netlink socket");
		return 1;
	}
	err = queue_bind(fd, (unsigned)strtoul(argv[3], NULL, 10));
	if (err) {
		fprintf(stderr, "nfq_bind: binding queue %s: %s\n", argv[3],
			err < 0 ? strerror(-err) : "no answer");
		return 1;
	}
	ready = fopen(argv[2], "w");
	if (!ready)
		return 1;
	fclose(ready);
	while (!stop)
		pause();
	close(fd);
	return 0;
}
