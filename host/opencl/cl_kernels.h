/* What the files of the OpenCL backend share (cl_backend.c: memory, the
 * element-wise ops, creation; cl_gemm.c: the products; cl_kernels.c: the
 * kernel table, building it, launching): the backend struct, the kernel
 * table's indices and the launch helper. Internal to the OpenCL backend. */
#ifndef PCNN_CL_KERNELS_H
#define PCNN_CL_KERNELS_H

#include <CL/cl.h>

#include "backend/backend.h"
#include "opencl/cl_devices.h"
#include "opencl/cl_gemm_tiles.h"
#include "opencl/cl_profile.h"
#include "opencl/cl_program.h"
#include "opencl/cl_tuning.h"

struct bbuf {
    cl_mem mem;
    size_t bytes;
};

enum { P_IM2COL, P_ELEMENTWISE, P_SOFTMAX, P_OPTIM, P_SAMPLE, P_GEMM, N_PROGRAMS };

enum {
    K_IM2COL,
    K_COL2IM,
    K_MASK_CENTRE,
    K_FILL,
    K_BIAS_ACT,
    K_BIAS_GRAD_PART,
    K_BIAS_GRAD_SUM,
    K_RELU,
    K_RELU_BACKWARD,
    K_ADD,
    K_PIXELS_TO_INPUT,
    K_SOFTMAX_XENT,
    K_ADAM,
    K_RMSPROP,
    K_ADD_ACT_2D,
    K_GATHER_TAPS,
    K_SAMPLE_DRAW,
    K_SAMPLE_STEP,
    K_PACK_B,
    K_MASKED_GEMM,
    K_MASKED_GEMM_TN,
    K_PACK_ROWS,
    K_TN_REDUCE,
    N_KERNELS
};

typedef struct {
    backend base;    /* first: a backend * is a cl_backend * */
    backend_ops ops; /* base.ops points here: which optional ops exist depends on the device */
    const cl_device_entry *dev; /* &own: the device's entry with the forced limits applied */
    cl_device_entry own;
    cl_context ctx;
    cl_command_queue queue;
    cl_program programs[N_PROGRAMS];
    cl_kernel kernels[N_KERNELS];
    size_t local[N_KERNELS]; /* work-group size of each kernel's launches */
    size_t reduce_wg;        /* -DWG: the work-group size of the reductions */
    size_t sample_wg;        /* cl/sample.cl's -DWG: reduce_wg, or less where a sampler kernel takes less */
    size_t kernel_local_mem[N_KERNELS]; /* CL_KERNEL_LOCAL_MEM_SIZE of each kernel */
    int no_sampling;                    /* the sampler's kernels do not fit the device's limits */
    int queued;              /* commands enqueued since the last marker */
    cl_event mark;           /* marker behind the commands before those */
    cl_program_counts counts;
    cl_build_env build; /* where kernel sources and the compile cache are */
    pcnn_log log;       /* warnings and the profile table */
    cl_tuning tuning;   /* `pcnn-cl tune`'s file for this device, read once at creation */
    int masked_kernels; /* the masked products run cl/gemm.cl (else CLBlast per colour group) */
    cl_profile profile; /* --device option profile: time per command name */
    cl_gemm_tiles gemm; /* cl/gemm.cl's tiles */
    cl_mem scratch;     /* the masked products' packed weights and partial sums */
    size_t scratch_bytes;
} cl_backend;

static inline cl_backend *CL(backend *be) { return (cl_backend *)be; }

/* cl/sample.cl's sample_step: at most how many images a work-group computes
 * (STEP_IMAGES), output columns per work-item (float8) and the work-group
 * size. A CPU device runs a work-group on one core, its work-items one after
 * the other: there several images share each weight load and 16 items share
 * the work. A GPU gets a work-group of the reductions' size per image and a
 * column per work-item. */
static inline int cl_step_images(const cl_backend *c) { return c->dev->info.is_gpu ? 1 : 8; }
static inline int cl_step_vec(const cl_backend *c) { return c->dev->info.is_gpu ? 1 : 8; }
static inline size_t cl_step_wg(const cl_backend *c)
{
    return c->dev->info.is_gpu || c->sample_wg < 16 ? c->sample_wg : 16;
}

typedef struct {
    size_t size;
    const void *value;
} karg;

#define A_MEM(view) ((karg){sizeof(cl_mem), &(view).buf->mem})
#define A_CLMEM(m) ((karg){sizeof(cl_mem), &(cl_mem){(m)}})
#define A_U64(x) ((karg){sizeof(cl_ulong), &(cl_ulong){(cl_ulong)(x)}})
#define A_INT(x) ((karg){sizeof(cl_int), &(cl_int){(cl_int)(x)}})
#define A_INT8(x) ((karg){sizeof(cl_int8), &(x)})
#define A_U32(x) ((karg){sizeof(cl_uint), &(cl_uint){(cl_uint)(x)}})
#define A_F32(x) ((karg){sizeof(cl_float), &(cl_float){(cl_float)(x)}})
#define LAUNCH(c, k, items, ...)                                                                                       \
    cl_launch(c, k, items, (karg[]){__VA_ARGS__}, (int)(sizeof((karg[]){__VA_ARGS__}) / sizeof(karg)))

/* Builds program p (or loads it from the compile cache) and creates its
 * kernels with their launch sizes; release_program drops them again. */
pcnn_status cl_kernels_build(cl_backend *c, int p);
void cl_kernels_release(cl_backend *c, int p);
/* Every program; sets the reductions' work-group size first. */
pcnn_status cl_kernels_build_all(cl_backend *c);

/* Runs kernel k over `items` work-items (rounded up to whole work-groups: the
 * kernels ignore the excess). */
pcnn_status cl_launch(cl_backend *c, int k, size_t items, const karg *args, int nargs);
/* Counts a command queued outside cl_launch (the queue stays short: see cl_kernels.c). */
pcnn_status cl_throttle(cl_backend *c);

/* cl_gemm.c */
/* c->scratch, grown to hold at least `floats`. */
pcnn_status cl_scratch_reserve(cl_backend *c, size_t floats);
pcnn_status cl_gemm(backend *be, int ta, int tb, int m, int n, int k, float alpha, bview a, int lda, bview b, int ldb,
                    float beta, bview cv, int ldc);
pcnn_status cl_masked_gemm(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b, int ldb,
                           int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate, bview c,
                           int ldc);
pcnn_status cl_masked_gemm_tn(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather, bview b,
                              int ldb, const gemm_segments *seg, bview c, int ldc);

#endif
