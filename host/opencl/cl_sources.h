/* The kernel sources of cl/<family>.cl, embedded into the binary at build time by
 * cmake/embed_cl.cmake (the generated cl_sources.c). */
#ifndef PCNN_CL_SOURCES_H
#define PCNN_CL_SOURCES_H

#include <stddef.h>

typedef struct {
    const char *name; /* "im2col.cl" */
    const char *text; /* the file's bytes, NUL-terminated */
    size_t len;       /* without the NUL */
} cl_source;

extern const cl_source cl_sources[];
extern const int cl_source_count;

#endif
