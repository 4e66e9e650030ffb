/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Disk image facts and creation, through qemu-img (never by writing image
 * formats ourselves): what `qemu-img info` reports about a source image,
 * and `qemu-img create` of a thin image with the same options.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/macro.h"
#include "basic/time-util.h"

typedef struct ImageInfo {
        char *target;           /* disk target (vda), when known */
        char *format;           /* qcow2, raw, ... */
        uint64_t virtual_size;  /* bytes, 0 = unknown */
        uint64_t actual_size;   /* allocated bytes, 0 = unknown */
        uint64_t cluster_size;  /* qcow2 only, 0 = unknown */
        char *compat;           /* qcow2: "0.10" or "1.1" */
        int lazy_refcounts;     /* -1 unknown, else 0/1 */
        int extended_l2;        /* -1 unknown, else 0/1 */
        char *compression_type; /* qcow2: zlib, zstd */
        int sparse;             /* -1 unknown, 1: under half allocated (source facts) */
} ImageInfo;

void image_info_init(ImageInfo *i);
void image_info_done(ImageInfo *i);
int image_info_copy(const ImageInfo *from, ImageInfo *to);

/* Formats migguard knows how to create. */
bool image_format_supported(const char *format);

/* Parse `qemu-img info --output=json` text (json-c). */
int image_info_from_json(const char *json, ImageInfo *ret);
/* Run `qemu-img info --output=json -U` (share lock: works on live images)
 * until @deadline (CLOCK_MONOTONIC); -ETIMEDOUT after it. */
int image_info_query(const char *path, usec_t deadline, ImageInfo *ret);

/*
 * Create @path (must not exist) as @format, @size bytes, with the qcow2
 * options found in @opts (NULL: qemu-img defaults).  @sparse=false asks for
 * full preallocation.  Returns -errno (-ETIMEDOUT after @deadline);
 * *ret_error gets qemu-img's message.
 */
int image_create(const char *path, const char *format, uint64_t size, const ImageInfo *opts, bool sparse,
                 usec_t deadline, char **ret_error);

/* The "-o" option string image_create() passes, exposed for tests. */
int image_create_options(const char *format, const ImageInfo *opts, bool sparse, char **ret);
