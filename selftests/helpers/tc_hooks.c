// SPDX-License-Identifier: GPL-2.0-only
/* Test helper: what runs on the TC hooks of each device named, asked of the
 * kernel itself (Debian 12's tc and bpftool 7.1 do not show tcx programs):
 *
 *   tc_hooks DEV...    one line per program, tcx first (the order the kernel
 *                      runs them), then the cls_bpf filter at meshgw's
 *                      handle/priority (other filters: `tc filter show`):
 *                        DEV ingress|egress tcx|cls_bpf PROG_ID PROG_NAME
 *
 *   tc_hooks --tcx     exit 0 when this kernel has tcx (6.6+), 1 when not
 *
 *   tc_hooks --stranger DEV ingress|egress PIN
 *                      another tool's tcx program: "stranger", which hands every
 *                      packet on (TCX_NEXT), linked at the end of DEV's hook; the
 *                      link pinned at PIN (a bpffs path), which rm detaches
 *
 * A kernel without tcx has no tcx lines. Exit 1 when a device is missing or
 * the kernel cannot be asked. */
#include <errno.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meshgw_bpf.h"
#include "dataplane/dp_progs.h"
#include "dataplane/dp_tc.h"

static const char *name_of(__u32 id, char *buf, size_t len)
{
	if (dp_prog_name(id, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static int hooks(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);
	char name[BPF_OBJ_NAME_LEN];

	if (!ifindex) {
		fprintf(stderr, "tc_hooks: %s: no such device\n", dev);
		return 1;
	}
	for (int egress = 0; egress < 2; egress++) {
		const char *dir = egress ? "egress" : "ingress";
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = MG_TC_HANDLE, .priority = MG_TC_PRIORITY);
		__u32 ids[64], count = 64;

		if (!bpf_prog_query(ifindex, egress ? DP_TCX_EGRESS : DP_TCX_INGRESS, 0, NULL, ids, &count)) {
			for (__u32 i = 0; i < count; i++)
				printf("%s %s tcx %u %s\n", dev, dir, ids[i],
				       name_of(ids[i], name, sizeof(name)));
		} else if (errno != EINVAL) {	/* EINVAL: a kernel without tcx */
			fprintf(stderr, "tc_hooks: %s: tcx %s: %s\n", dev, dir, strerror(errno));
			return 1;
		}
		if (!bpf_tc_query(&hook, &q))
			printf("%s %s cls_bpf %u %s\n", dev, dir, q.prog_id,
			       name_of(q.prog_id, name, sizeof(name)));
	}
	return 0;
}

static int stranger(const char *dev, const char *dir, const char *pin)
{
	const struct bpf_insn next[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },	/* TCX_NEXT */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int ifindex = (int)if_nametoindex(dev), prog, link;

	if (!ifindex || (strcmp(dir, "ingress") && strcmp(dir, "egress"))) {
		fprintf(stderr, "tc_hooks: --stranger %s %s: no such device or direction\n", dev, dir);
		return 1;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "stranger", "GPL", next, 2, NULL);
	link = prog < 0 ? -1 : bpf_link_create(prog, ifindex, strcmp(dir, "egress") ? DP_TCX_INGRESS :
					       DP_TCX_EGRESS, NULL);
	if (link < 0 || bpf_obj_pin(link, pin)) {
		fprintf(stderr, "tc_hooks: --stranger %s %s: %s\n", dev, dir, strerror(errno));
		return 1;
	}
	close(link);
	close(prog);
	return 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;	/* "no such filter" is an answer here */
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: tc_hooks DEV...\n");
		return 2;
	}
	libbpf_set_print(quiet);
	if (!strcmp(argv[1], "--tcx")) {
		bool tcx = false;

		return !dp_tc_mode(MG_TC_AUTO, 1, &tcx) && tcx ? 0 : 1;	/* asked on lo */
	}
	if (!strcmp(argv[1], "--stranger"))
		return argc == 5 ? stranger(argv[2], argv[3], argv[4]) : 2;
	for (int i = 1; i < argc; i++)
		rc |= hooks(argv[i]);
	return rc;
}
