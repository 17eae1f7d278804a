/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Which build of an object a loaded program came from. The loader writes a hash
 * of the object's ELF bytes here before loading (user/dataplane/dp_progs.c), so
 * the program's .rodata, which the kernel keeps with it, says both which object
 * it is and with which load-time constants it was loaded: a later `meshgw up`
 * compares that with what it would load and keeps a program that matches
 * instead of reloading it. No program reads it. */
#pragma once
#include "meshgw_bpf.h"

volatile const __u8 mg_obj_hash[MG_OBJ_HASH_LEN] = {};
