/* The OpenCL backend's kernels: which kernel lives in which cl/<family>.cl,
 * building them for the device (cl_program.c: embedded source, compile cache),
 * and launching them on the backend's one in-order queue, kept short. */
#include "opencl/cl_kernels.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/base_try.h"

static const char *const program_files[N_PROGRAMS] = {"im2col.cl", "elementwise.cl", "softmax.cl",
                                                      "optim.cl",  "sample.cl",      "gemm.cl"};
static const struct {
    const char *name;
    int program;
} kernel_table[N_KERNELS] = {
    [K_IM2COL] = {"im2col", P_IM2COL},
    [K_COL2IM] = {"col2im", P_IM2COL},
    [K_MASK_CENTRE] = {"mask_centre", P_IM2COL},
    [K_FILL] = {"fill", P_ELEMENTWISE},
    [K_BIAS_ACT] = {"bias_act", P_ELEMENTWISE},
    [K_BIAS_GRAD_PART] = {"bias_grad_part", P_ELEMENTWISE},
    [K_BIAS_GRAD_SUM] = {"bias_grad_sum", P_ELEMENTWISE},
    [K_RELU] = {"relu", P_ELEMENTWISE},
    [K_RELU_BACKWARD] = {"relu_backward", P_ELEMENTWISE},
    [K_ADD] = {"add", P_ELEMENTWISE},
    [K_PIXELS_TO_INPUT] = {"pixels_to_input", P_ELEMENTWISE},
    [K_SOFTMAX_XENT] = {"softmax_xent", P_SOFTMAX},
    [K_ADAM] = {"adam", P_OPTIM},
    [K_RMSPROP] = {"rmsprop", P_OPTIM},
    [K_ADD_ACT_2D] = {"add_act_2d", P_SAMPLE},
    [K_GATHER_TAPS] = {"gather_taps", P_SAMPLE},
    [K_SAMPLE_DRAW] = {"sample_draw", P_SAMPLE},
    [K_SAMPLE_STEP] = {"sample_step", P_SAMPLE},
    [K_PACK_B] = {"pack_b", P_GEMM},
    [K_MASKED_GEMM] = {"masked_gemm", P_GEMM},
    [K_MASKED_GEMM_TN] = {"masked_gemm_tn", P_GEMM},
    [K_PACK_ROWS] = {"pack_rows", P_GEMM},
    [K_TN_REDUCE] = {"tn_reduce", P_GEMM},
};

/* ---- kernel launches -------------------------------------------------- */

/* The fast sampler queues ~100 small commands per sub-pixel and reads back
 * only at the end: hundreds of thousands of pending commands, and PoCL's
 * enqueue slows down with the queue's length (sampling 16 small-preset images
 * took 30x longer than with the queue kept short). So every QUEUE_AHEAD
 * commands a marker is queued and the host waits for the previous marker:
 * the device always has QUEUE_AHEAD..2*QUEUE_AHEAD commands ahead of it and
 * never idles for the host, and no queue grows without bound. */
enum { QUEUE_AHEAD = 256 };

pcnn_status cl_throttle(cl_backend *c)
{
    if (++c->queued < QUEUE_AHEAD)
        return PCNN_OK;
    c->queued = 0;
    cl_int st = CL_SUCCESS;
    if (c->mark) {
        st = clWaitForEvents(1, &c->mark);
        clReleaseEvent(c->mark);
        c->mark = NULL;
    }
    if (st == CL_SUCCESS)
        st = clEnqueueMarkerWithWaitList(c->queue, 0, NULL, &c->mark);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "waiting for queued work on %s (or a kernel queued before failed): %s",
                         c->dev->info.name, cl_status_name(st));
    return PCNN_OK;
}

pcnn_status cl_launch(cl_backend *c, int k, size_t items, const karg *args, int nargs)
{
    if (items == 0)
        return PCNN_OK;
    cl_kernel kernel = c->kernels[k];
    for (int i = 0; i < nargs; i++) {
        cl_int st = clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value);
        if (st != CL_SUCCESS)
            return pcnn_fail(PCNN_ERR_DEVICE, "kernel %s argument %d on %s: %s", kernel_table[k].name, i,
                             c->dev->info.name, cl_status_name(st));
    }
    size_t local = c->local[k], global = (items + local - 1) / local * local;
    double t0 = cl_profile_begin(&c->profile, c->queue);
    cl_int st = clEnqueueNDRangeKernel(c->queue, kernel, 1, NULL, &global, &local, 0, NULL, NULL);
    cl_profile_end(&c->profile, c->queue, kernel_table[k].name, t0);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "kernel %s (%zu work-items) on %s: %s", kernel_table[k].name, items,
                         c->dev->info.name, cl_status_name(st));
    return cl_throttle(c);
}

/* ---- building ---------------------------------------------------------- */

/* Whether the device has a fused multiply-add for float (CL_FP_FMA). */
static int device_fma(const cl_device_entry *d)
{
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(d->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
    return (fp & CL_FP_FMA) != 0;
}

/* cl/gemm.cl's -D options for c->gemm. */
static void gemm_options(const cl_backend *c, char *dst, size_t n)
{
    snprintf(dst, n, " -DMR=%d -DNR=%d -DMC=%d -DHAVE_FMA=%d", c->gemm.mr, c->gemm.nr, c->gemm.mc, device_fma(c->dev));
}

void cl_kernels_release(cl_backend *c, int p)
{
    for (int k = 0; k < N_KERNELS; k++)
        if (kernel_table[k].program == p && c->kernels[k]) {
            clReleaseKernel(c->kernels[k]);
            c->kernels[k] = NULL;
        }
    if (c->programs[p])
        clReleaseProgram(c->programs[p]);
    c->programs[p] = NULL;
}

pcnn_status cl_kernels_build(cl_backend *c, int p)
{
    const cl_device_entry *d = c->dev;
    /* Strict IEEE arithmetic (never -cl-fast-relaxed-math: it breaks -inf and
     * NaN handling); correctly rounded / and sqrt where offered, as on the CPU;
     * the sampler's CDF in double where the device has it (backend.h). */
    char opts[400], extra[160] = "";
    if (p == P_SAMPLE) /* sample_step: images per work-group, columns per work-item */
        snprintf(extra, sizeof extra, " -DSAMPLE_FP64=%d -DSTEP_IMAGES=%d -DSTEP_VEC=%d -DSTEP_WG=%zu -DHAVE_FMA=%d",
                 d->fp64, cl_step_images(c), cl_step_vec(c), cl_step_wg(c), device_fma(d));
    if (p == P_GEMM)
        gemm_options(c, extra, sizeof extra);
    size_t prog_wg = p == P_SAMPLE ? c->sample_wg : c->reduce_wg;
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DWG=%zu%s%s", prog_wg,
             d->correct_div_sqrt ? " -cl-fp32-correctly-rounded-divide-sqrt" : "", extra);
    if (cl_program_get(c->ctx, d, &c->build, program_files[p], opts, &c->programs[p], &c->counts))
        return PCNN_ERR_DEVICE;
    for (int k = 0; k < N_KERNELS; k++) {
        if (kernel_table[k].program != p)
            continue;
        cl_int st;
        c->kernels[k] = clCreateKernel(c->programs[p], kernel_table[k].name, &st);
        if (st != CL_SUCCESS)
            return pcnn_fail(PCNN_ERR_DEVICE, "cl/%s: kernel %s on %s: %s", program_files[p], kernel_table[k].name,
                             d->info.name, cl_status_name(st));
        /* What a GPU driver enforces and a CPU one hardly does: the kernel's
         * own work-group limit (registers) under the device's (forced) one,
         * and its local memory under CL_DEVICE_LOCAL_MEM_SIZE. */
        size_t most = 0;
        cl_ulong local_bytes = 0;
        clGetKernelWorkGroupInfo(c->kernels[k], d->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof most, &most, NULL);
        clGetKernelWorkGroupInfo(c->kernels[k], d->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof local_bytes, &local_bytes,
                                 NULL);
        if (most == 0 || most > d->max_work_group)
            most = d->max_work_group;
        c->kernel_local_mem[k] = (size_t)local_bytes;
        if (local_bytes > d->local_mem) {
            if (p != P_SAMPLE)
                return pcnn_fail(PCNN_ERR_DEVICE,
                                 "kernel %s on %s: needs %llu bytes of local memory, the device has %zu",
                                 kernel_table[k].name, d->info.name, (unsigned long long)local_bytes, d->local_mem);
            c->no_sampling = 1; /* the draw's CDF in local memory does not fit: no sampling here */
        }
        int reduction = k == K_SAMPLE_DRAW || k == K_SAMPLE_STEP;
        size_t wg = k == K_SAMPLE_STEP ? cl_step_wg(c) : prog_wg;
        if (reduction && most < wg) {
            /* Rebuild the sampler's kernels for the largest power of two that fits. */
            size_t fit = 1;
            while (fit * 2 <= most)
                fit *= 2;
            if (fit < 16 || fit >= c->sample_wg) {
                c->no_sampling = 1;
                pcnn_log_printf(&c->log,
                                "warning: kernel %s on %s takes work-groups of at most %zu items (needs 16): "
                                "no sampling on this device",
                                kernel_table[k].name, d->info.name, most);
                wg = most;
            } else {
                c->sample_wg = fit;
                cl_kernels_release(c, p);
                return cl_kernels_build(c, p);
            }
        }
        c->local[k] = reduction ? wg : (most >= 128 ? 128 : most);
        if (k == K_MASKED_GEMM || k == K_MASKED_GEMM_TN) /* a work-item is a whole loop of tiles */
            c->local[k] = 1;
    }
    if (p == P_SAMPLE && c->no_sampling) {
        if (c->ops.sample_draw)
            pcnn_log_printf(&c->log,
                            "warning: the sampler's kernels on %s need more local memory (%zu bytes) or "
                            "larger work-groups than the device has (%zu bytes): no sampling on this device",
                            d->info.name, c->kernel_local_mem[K_SAMPLE_DRAW], d->local_mem);
        c->ops.sample_draw = NULL;
        c->ops.sample_step = NULL;
    }
    return PCNN_OK;
}

pcnn_status cl_kernels_build_all(cl_backend *c)
{
    const cl_device_entry *d = c->dev;
    /* The sampler's draw reduces over the largest power-of-two work-group up
     * to 256 (and at least 16). */
    size_t wg = 1;
    while (wg * 2 <= 256 && wg * 2 <= d->max_work_group)
        wg *= 2;
    if (wg < 16)
        return pcnn_fail(PCNN_ERR_DEVICE, "%s: work-groups of %u items are too small (need 16)", d->info.name,
                         d->max_work_group);
    c->reduce_wg = c->sample_wg = wg;
    for (int p = 0; p < N_PROGRAMS; p++)
        TRY(cl_kernels_build(c, p));
    return PCNN_OK;
}

pcnn_status cl_scratch_reserve(cl_backend *c, size_t floats)
{
    size_t bytes = (floats ? floats : 1) * sizeof(float);
    if (c->scratch_bytes >= bytes)
        return PCNN_OK;
    if (c->scratch)
        clReleaseMemObject(c->scratch);
    cl_int st;
    c->scratch = clCreateBuffer(c->ctx, CL_MEM_READ_WRITE, bytes, NULL, &st);
    c->scratch_bytes = st == CL_SUCCESS ? bytes : 0;
    if (st != CL_SUCCESS) {
        c->scratch = NULL;
        return pcnn_fail(PCNN_ERR_MEMORY, "cannot allocate %zu bytes of GEMM scratch on %s: %s", bytes,
                         c->dev->info.name, cl_status_name(st));
    }
    return PCNN_OK;
}
