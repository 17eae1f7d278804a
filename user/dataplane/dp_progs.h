/* SPDX-License-Identifier: GPL-2.0-only */
/* Keeping loaded programs across runs of `meshgw up`. Loading the data plane's
 * objects is most of what a no-op `up` costs (libbpf parses the kernel's BTF
 * for each, the verifier walks each program), and a reload swaps every
 * attachment for nothing. A program already attached is kept when it is what
 * this run would load: the same object build and the same load-time constants,
 * which its .rodata says (the loader stamps a hash of the object into it,
 * mg_obj_hash), using the maps pinned under PinPath. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "dataplane/dp_maps.h"
#include "meshgw_bpf.h"

/* The pinned data-plane maps as this run finds them: a kept program must use
 * these and no others (a map re-created under its pin would leave it reading
 * the old one). */
struct dp_pinned {
#define DP_PIN_ID(name) + 1
	uint32_t id[0 MG_DP_MAPS(DP_PIN_ID)];
#undef DP_PIN_ID
	size_t n;
};

/* The hash stamped into an object's .rodata: of its ELF bytes (as its skeleton
 * embeds them) and the version of the libbpf that relocates them. */
void dp_obj_hash(const void *elf, size_t size, uint8_t out[MG_OBJ_HASH_LEN]);

/* Opens every map of MG_DP_MAPS pinned under pin into f and records their ids.
 * 0, or -errno with nothing left open (-ENOENT: one is not pinned: the first
 * `up`, or someone removed it). */
int dp_pins_open(const char *pin, struct dp_fds *f, struct dp_pinned *ids);
/* Closes what dp_pins_open opened (fds below 0 are skipped). */
void dp_fds_close(struct dp_fds *f);

/* An fd of the loaded program `id` when it can stand for prog, a program of an
 * object opened (rodata its .rodata map, mg_obj_hash and the constants set) but
 * not loaded: the same name, .rodata equal byte for byte, and no map but its
 * own (.rodata, .bss, ...) and the pinned ones. Else -1. */
int dp_prog_reuse(uint32_t id, const struct bpf_program *prog, const struct bpf_map *rodata,
		  const struct dp_pinned *pins);

/* The name of loaded program id into name. 0 or -errno. */
int dp_prog_name(uint32_t id, char *name, size_t len);
/* The id of a loaded program, or 0. */
uint32_t dp_prog_id(int fd);
/* Detaches the link pinned at path (at once, even while some process holds it
 * open) and removes the pin; none there is not an error. */
void dp_link_unpin(const char *path);
/* dp_link_unpin of every link pinned under pin whose name starts with prefix,
 * but those whose name goes on with one of keep (NULL-terminated; may be NULL). */
void dp_links_sweep(const char *pin, const char *prefix, const char *const *keep);
/* The id of the program a pinned link runs, or 0 (no such pin, not a link). */
uint32_t dp_link_prog_id(const char *path);
