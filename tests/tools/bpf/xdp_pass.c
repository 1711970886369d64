/* xdp_pass.c - the smallest XDP program: every packet passes.  It lives
 * below tests/tools/bpf/, not next to the host tools that make builds: it
 * is compiled for the BPF target by tests/kernel/hooks.sh
 * (clang -O2 -target bpf -c) and attached to a zone interface as a foreign
 * hook that segmentd must report and leave alone.  The section name "xdp"
 * is what `ip link set dev X xdp obj F sec xdp` loads. */
#include <linux/bpf.h>

__attribute__((section("xdp"), used))
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

__attribute__((section("license"), used))
char _license[] = "GPL";
