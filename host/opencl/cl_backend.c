/* The OpenCL backend: every operation of backend.h on one OpenCL 1.2 device.
 * Buffers are cl_mem; a view's element offset travels as a kernel argument
 * (sub-buffers would impose the device's base-address alignment). Kernels come
 * from cl/<family>.cl through cl_program.c (embedded source, compile cache); GEMMs go
 * to CLBlast. One in-order queue: operations run in the order they are queued
 * and read() blocks, so it waits for everything before it. The queue is kept
 * at most 2 * QUEUE_AHEAD commands deep (see cl_throttle()). The products are
 * in cl_gemm.c. */
#include "opencl/cl_backend.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_generic.h"
#include "base/base_rng.h"
#include "base/base_try.h"
#include "opencl/cl_kernels.h"

/* ---- memory ----------------------------------------------------------- */

static double mib(size_t bytes) { return (double)bytes / (1 << 20); }

static bbuf *cl_alloc(backend *be, size_t bytes, const char *what)
{
    cl_backend *c = CL(be);
    const pcnn_device_info *in = &c->dev->info;
    const char *reduce = BACKEND_REDUCE_HINT;
    if (bytes > in->max_alloc) {
        pcnn_fail(PCNN_ERR_MEMORY,
                  "%s needs %zu bytes (%.1f MiB), more than one allocation may take on %s (%.1f MiB): %s", what, bytes,
                  mib(bytes), in->name, mib(in->max_alloc), reduce);
        return NULL;
    }
    if (be->bytes_in_use + bytes > in->global_mem) {
        pcnn_fail(PCNN_ERR_MEMORY, "%s needs %zu bytes (%.1f MiB) but only %.1f MiB of %.1f MiB are left on %s: %s",
                  what, bytes, mib(bytes), mib(in->global_mem - be->bytes_in_use), mib(in->global_mem), in->name,
                  reduce);
        return NULL;
    }
    bbuf *b = malloc(sizeof *b);
    if (!b) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of host memory allocating %s", what);
        return NULL;
    }
    /* OpenCL refuses empty buffers and fills whole patterns: round up to a float. */
    size_t padded = (bytes + 3) / 4 * 4;
    if (padded == 0)
        padded = 4;
    cl_int st;
    b->mem = clCreateBuffer(c->ctx, CL_MEM_READ_WRITE, padded, NULL, &st);
    b->bytes = bytes;
    if (st == CL_SUCCESS) {
        /* Zeroed like the CPU backend's buffers; drivers often allocate lazily,
         * so this is also where a real shortage shows. */
        cl_uint zero = 0;
        st = clEnqueueFillBuffer(c->queue, b->mem, &zero, sizeof zero, 0, padded, 0, NULL, NULL);
        if (st == CL_SUCCESS)
            st = clFinish(c->queue);
        if (st != CL_SUCCESS)
            clReleaseMemObject(b->mem);
    }
    if (st != CL_SUCCESS) {
        pcnn_fail(PCNN_ERR_MEMORY, "cannot allocate %s (%.1f MiB) on %s (%s, %.1f MiB in use): %s", what, mib(bytes),
                  in->name, cl_status_name(st), mib(be->bytes_in_use), reduce);
        free(b);
        return NULL;
    }
    backend_note_alloc(be, bytes);
    return b;
}

static void cl_release(backend *be, bbuf *b)
{
    if (!b)
        return;
    be->bytes_in_use -= b->bytes;
    clReleaseMemObject(b->mem);
    free(b);
}

static pcnn_status cl_write(backend *be, bbuf *dst, size_t off, const void *src, size_t bytes)
{
    cl_backend *c = CL(be);
    TRY(backend_check_range("write", off, bytes, dst->bytes));
    if (bytes == 0)
        return PCNN_OK;
    cl_int st = clEnqueueWriteBuffer(c->queue, dst->mem, CL_TRUE, off, bytes, src, 0, NULL, NULL);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "writing %zu bytes to %s: %s", bytes, c->dev->info.name, cl_status_name(st));
    return PCNN_OK;
}

static pcnn_status cl_read(backend *be, bbuf *src, size_t off, void *dst, size_t bytes)
{
    cl_backend *c = CL(be);
    TRY(backend_check_range("read", off, bytes, src->bytes));
    if (bytes == 0)
        return PCNN_OK;
    /* Blocking on an in-order queue: every operation queued before has finished. */
    cl_int st = clEnqueueReadBuffer(c->queue, src->mem, CL_TRUE, off, bytes, dst, 0, NULL, NULL);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "reading %zu bytes from %s (or a kernel queued before failed): %s", bytes,
                         c->dev->info.name, cl_status_name(st));
    return PCNN_OK;
}

static pcnn_status cl_fill(backend *be, bview x, size_t n, float value)
{
    return LAUNCH(CL(be), K_FILL, (n + 7) / 8, A_MEM(x), A_U64(x.off), A_U64(n), A_F32(value));
}

static pcnn_status cl_copy(backend *be, bview dst, bview src, size_t n)
{
    cl_backend *c = CL(be);
    if (n == 0)
        return PCNN_OK;
    if (dst.buf == src.buf && dst.off < src.off + n && src.off < dst.off + n)
        return pcnn_fail(PCNN_ERR_ARG, "copy of %zu floats between overlapping ranges (%zu, %zu) of one buffer", n,
                         src.off, dst.off);
    size_t f = sizeof(float);
    double t0 = cl_profile_begin(&c->profile, c->queue);
    cl_int st =
        clEnqueueCopyBuffer(c->queue, src.buf->mem, dst.buf->mem, src.off * f, dst.off * f, n * f, 0, NULL, NULL);
    cl_profile_end(&c->profile, c->queue, "copy", t0);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "copy of %zu floats on %s: %s", n, c->dev->info.name, cl_status_name(st));
    return cl_throttle(c);
}


/* ---- convolution, bias, activations ------------------------------------- */

static pcnn_status cl_im2col(backend *be, bview col, bview in, int B, int H, int W, int cin, int kh, int kw, int taps)
{
    size_t items = (size_t)B * H * W;
    return LAUNCH(CL(be), K_IM2COL, items, A_MEM(col), A_U64(col.off), A_MEM(in), A_U64(in.off), A_INT(B), A_INT(H),
                  A_INT(W), A_INT(cin), A_INT(kh), A_INT(kw), A_INT(taps));
}

static pcnn_status cl_col2im(backend *be, bview din, bview dcol, int B, int H, int W, int cin, int kh, int kw, int taps,
                             int accumulate)
{
    size_t items = (size_t)B * H * W;
    return LAUNCH(CL(be), K_COL2IM, items, A_MEM(din), A_U64(din.off), A_MEM(dcol), A_U64(dcol.off), A_INT(B), A_INT(H),
                  A_INT(W), A_INT(cin), A_INT(kh), A_INT(kw), A_INT(taps), A_INT(accumulate));
}

static pcnn_status cl_bias_act(backend *be, bview y, bview bias, size_t rows, int cols, int relu)
{
    return LAUNCH(CL(be), K_BIAS_ACT, rows * (size_t)cols, A_MEM(y), A_U64(y.off), A_MEM(bias), A_U64(bias.off),
                  A_U64(rows), A_INT(cols), A_INT(relu));
}

/* Rows per chunk of bias_grad's partial sums: fixed, so the sum order is too. */
enum { BIAS_GRAD_CHUNK = 256 };

static pcnn_status cl_bias_grad(backend *be, bview db, bview dy, size_t rows, int cols)
{
    cl_backend *c = CL(be);
    if (rows > INT32_MAX)
        return pcnn_fail(PCNN_ERR_ARG, "bias_grad over %zu rows (at most %d)", rows, INT32_MAX);
    size_t chunks = (rows + BIAS_GRAD_CHUNK - 1) / BIAS_GRAD_CHUNK, blocks = ((size_t)cols + 7) / 8;
    if (chunks == 0) /* no rows: the sums are zero */
        return cl_fill(be, db, (size_t)cols, 0.0f);
    TRY(cl_scratch_reserve(c, chunks * (size_t)cols));
    TRY(LAUNCH(c, K_BIAS_GRAD_PART, chunks * blocks, A_CLMEM(c->scratch), A_MEM(dy), A_U64(dy.off), A_INT(rows),
               A_INT(cols), A_INT(BIAS_GRAD_CHUNK)));
    return LAUNCH(c, K_BIAS_GRAD_SUM, (size_t)cols, A_MEM(db), A_U64(db.off), A_CLMEM(c->scratch), A_INT(chunks),
                  A_INT(cols));
}

static pcnn_status cl_relu(backend *be, bview dst, bview src, size_t n)
{
    return LAUNCH(CL(be), K_RELU, (n + 7) / 8, A_MEM(dst), A_U64(dst.off), A_MEM(src), A_U64(src.off), A_U64(n));
}

static pcnn_status cl_relu_backward(backend *be, bview dy, bview y, size_t n)
{
    return LAUNCH(CL(be), K_RELU_BACKWARD, (n + 7) / 8, A_MEM(dy), A_U64(dy.off), A_MEM(y), A_U64(y.off), A_U64(n));
}

static pcnn_status cl_add(backend *be, bview y, bview x, size_t n)
{
    return LAUNCH(CL(be), K_ADD, (n + 7) / 8, A_MEM(y), A_U64(y.off), A_MEM(x), A_U64(x.off), A_U64(n));
}

static pcnn_status cl_mask_centre(backend *be, bview w, int kh, int kw, int cin, int cout, int colours, int mode)
{
    return LAUNCH(CL(be), K_MASK_CENTRE, (size_t)cin * cout, A_MEM(w), A_U64(w.off), A_INT(kh), A_INT(kw), A_INT(cin),
                  A_INT(cout), A_INT(colours), A_INT(mode));
}

static pcnn_status cl_pixels_to_input(backend *be, bview x, bview pixels, size_t n)
{
    return LAUNCH(CL(be), K_PIXELS_TO_INPUT, n, A_MEM(x), A_U64(x.off), A_MEM(pixels), A_U64(pixels.off), A_U64(n));
}

static pcnn_status cl_softmax_xent(backend *be, bview logits, bview targets, bview loss, size_t rows, int classes,
                                   int want_grad, float grad_scale)
{
    cl_backend *c = CL(be);
    return LAUNCH(c, K_SOFTMAX_XENT, rows, A_MEM(logits), A_U64(logits.off), A_MEM(targets),
                  A_U64(targets.off), A_MEM(loss), A_U64(loss.off), A_U64(rows), A_INT(classes), A_INT(want_grad),
                  A_F32(grad_scale));
}

static pcnn_status cl_adam(backend *be, bview w, bview g, bview m, bview v, size_t n, float step_size, float b1,
                           float b2, float eps)
{
    return LAUNCH(CL(be), K_ADAM, n, A_MEM(w), A_U64(w.off), A_MEM(g), A_U64(g.off), A_MEM(m), A_U64(m.off), A_MEM(v),
                  A_U64(v.off), A_U64(n), A_F32(step_size), A_F32(b1), A_F32(b2), A_F32(eps));
}

static pcnn_status cl_rmsprop(backend *be, bview w, bview g, bview v, size_t n, float lr, float rho, float eps)
{
    return LAUNCH(CL(be), K_RMSPROP, n, A_MEM(w), A_U64(w.off), A_MEM(g), A_U64(g.off), A_MEM(v), A_U64(v.off),
                  A_U64(n), A_F32(lr), A_F32(rho), A_F32(eps));
}

/* ---- sampling ------------------------------------------------------------ */

static pcnn_status cl_add_act_2d(backend *be, bview dst, size_t ld_dst, bview a, size_t ld_a, bview b, size_t ld_b,
                                 size_t rows, int cols, int relu)
{
    /* Without b the kernel still needs a valid buffer argument: a's, never read. */
    int has_b = b.buf != NULL;
    bview bb = has_b ? b : a;
    return LAUNCH(CL(be), K_ADD_ACT_2D, rows * (size_t)cols, A_MEM(dst), A_U64(dst.off), A_U64(ld_dst), A_MEM(a),
                  A_U64(a.off), A_U64(ld_a), A_MEM(bb), A_U64(bb.off), A_U64(ld_b), A_INT(has_b), A_U64(rows),
                  A_INT(cols), A_INT(relu));
}

static pcnn_status cl_gather_taps(backend *be, bview col, bview ring, int n, int R, int W, int cin, int kh, int kw,
                                  int taps, int y, int x)
{
    size_t items = (size_t)n * taps * cin;
    return LAUNCH(CL(be), K_GATHER_TAPS, items, A_MEM(col), A_U64(col.off), A_MEM(ring), A_U64(ring.off), A_INT(n),
                  A_INT(R), A_INT(W), A_INT(cin), A_INT(kh), A_INT(kw), A_INT(taps), A_INT(y), A_INT(x));
}

static pcnn_status cl_sample_draw(backend *be, bview pixels, size_t pixel_stride, bview input, size_t input_stride,
                                  bview logits, size_t ld_logits, int n, uint64_t seed, uint32_t image_base, int y,
                                  int x, int colour, float inv_temperature, bview bad)
{
    cl_backend *c = CL(be);
    int has_input = input.buf != NULL, has_bad = bad.buf != NULL;
    bview in = has_input ? input : logits, flags = has_bad ? bad : logits;
    /* Philox counter words 1..3 as rng_sample_block() forms them; the kernel
     * makes word 0, the image index. One work-group per image. */
    return LAUNCH(c, K_SAMPLE_DRAW, (size_t)n * c->local[K_SAMPLE_DRAW], A_MEM(pixels), A_U64(pixels.off),
                  A_U64(pixel_stride), A_MEM(in), A_U64(in.off), A_U64(input_stride), A_INT(has_input), A_MEM(logits),
                  A_U64(logits.off), A_U64(ld_logits), A_INT(n), A_U64(seed), A_U32(image_base), A_U32(y), A_U32(x),
                  A_U32(RNG_SAMPLE_TAG | (uint32_t)colour), A_F32(inv_temperature), A_MEM(flags), A_U64(flags.off),
                  A_INT(has_bad));
}

static pcnn_status cl_sample_step(backend *be, bview program, bview state, bview params, bview pixels, int n,
                                  uint64_t seed, uint32_t image_base, int y, int x, int g, float inv_temperature,
                                  int draw)
{
    cl_backend *c = CL(be);
    /* Images per work-group: all compute units busy, at most STEP_IMAGES. */
    int units = c->dev->info.compute_units > 0 ? c->dev->info.compute_units : 1;
    int per_group = (n + units - 1) / units;
    if (per_group > cl_step_images(c))
        per_group = cl_step_images(c);
    size_t groups = ((size_t)n + (size_t)per_group - 1) / (size_t)per_group;
    return LAUNCH(c, K_SAMPLE_STEP, groups * c->local[K_SAMPLE_STEP], A_MEM(program), A_U64(program.off), A_MEM(state),
                  A_U64(state.off), A_MEM(params), A_U64(params.off), A_MEM(pixels), A_U64(pixels.off), A_INT(n),
                  A_INT(per_group), A_U64(seed), A_U32(image_base), A_INT(y), A_INT(x), A_INT(g),
                  A_F32(inv_temperature), A_INT(draw));
}

static pcnn_status cl_finish(backend *be)
{
    cl_backend *c = CL(be);
    cl_int st = clFinish(c->queue);
    if (st != CL_SUCCESS)
        return pcnn_fail(PCNN_ERR_DEVICE, "waiting for %s: %s", c->dev->info.name, cl_status_name(st));
    return PCNN_OK;
}

/* ---- creation ----------------------------------------------------------- */

static void cl_destroy(backend *be)
{
    cl_backend *c = CL(be);
    if (!c)
        return;
    /* CLBlast keeps compiled GEMM programs per context in a process-wide cache;
     * drop them so the context can go (a live backend elsewhere recompiles its
     * GEMMs on next use: slower, still correct). */
    if (c->ctx)
        backend_generic_release(be);
    cl_profile_print(&c->profile, c->dev->info.name, &c->log);
    if (c->mark)
        clReleaseEvent(c->mark);
    if (c->ctx)
        CLBlastClearCache();
    for (int p = 0; p < N_PROGRAMS; p++)
        cl_kernels_release(c, p);
    if (c->queue)
        clReleaseCommandQueue(c->queue);
    if (c->scratch)
        clReleaseMemObject(c->scratch);
    if (c->ctx)
        clReleaseContext(c->ctx);
    free(c);
}

static const backend_ops cl_ops = {
    .destroy = cl_destroy,
    .alloc = cl_alloc,
    .release = cl_release,
    .write = cl_write,
    .read = cl_read,
    .fill = cl_fill,
    .copy = cl_copy,
    .gemm = cl_gemm,
    .im2col = cl_im2col,
    .col2im = cl_col2im,
    .bias_act = cl_bias_act,
    .bias_grad = cl_bias_grad,
    .relu = cl_relu,
    .relu_backward = cl_relu_backward,
    .add = cl_add,
    .mask_centre = cl_mask_centre,
    .pixels_to_input = cl_pixels_to_input,
    .softmax_xent = cl_softmax_xent,
    .add_act_2d = cl_add_act_2d,
    .gather_taps = cl_gather_taps,
    .sample_draw = cl_sample_draw,
    .sample_step = cl_sample_step,
    .adam = cl_adam,
    .rmsprop = cl_rmsprop,
    .finish = cl_finish,
};

pcnn_status backend_cl_set_gemm_tiles(backend *be, const cl_gemm_tiles *t)
{
    cl_backend *c = CL(be);
    if (!cl_gemm_tiles_valid(t))
        return pcnn_fail(PCNN_ERR_ARG, "gemm tiles MR=%d NR=%d MC=%d TN_CHUNK=%d are out of range", t->mr, t->nr,
                         t->mc, t->tn_chunk);
    TRY(cl_finish(be)); /* queued launches hold the old kernels' arguments */
    cl_kernels_release(c, P_GEMM);
    c->gemm = *t;
    return cl_kernels_build(c, P_GEMM);
}

void backend_cl_gemm_tiles(const backend *be, cl_gemm_tiles *t) { *t = ((const cl_backend *)be)->gemm; }

int backend_cl_device_count(const char **why)
{
    const cl_device_entry *list;
    return cl_device_entries(&list, why);
}

void backend_cl_describe(int i, pcnn_device_info *info)
{
    const cl_device_entry *list;
    cl_device_entries(&list, NULL);
    *info = list[i].info;
}

/* cl/gemm.cl's masked products where a work-item runs on a CPU core (one
 * computes whole register tiles), CLBlast's GEMMs elsewhere; --gemm decides. */
static int use_masked_kernels(const cl_device_entry *dev, pcnn_gemm_route route)
{
    return route == PCNN_GEMM_KERNELS || (route == PCNN_GEMM_AUTO && !dev->info.is_gpu);
}

/* The tiles: the device option, else the tune file's, else the defaults. */
static cl_gemm_tiles choose_tiles(const cl_backend *c, const pcnn_device_opts *o)
{
    const int *v = o->gemm_tiles;
    if (v[0] || v[1] || v[2] || v[3]) {
        cl_gemm_tiles t = {v[0], v[1], v[2], v[3]};
        if (cl_gemm_tiles_valid(&t))
            return t;
        pcnn_log_printf(&c->log,
                        "warning: ignoring the gemm tiles %d,%d,%d,%d (PCNN_CL_GEMM_TILES: want mr,nr,mc,chunk "
                        "in range)",
                        v[0], v[1], v[2], v[3]);
    }
    return c->tuning.have_tiles ? c->tuning.tiles : cl_gemm_tiles_default();
}

/* The device options' forced limits (device_types.h), where below the device's. */
static void limit_device(cl_device_entry *d, const pcnn_device_opts *o)
{
    if (o->force_max_work_group && o->force_max_work_group < d->max_work_group)
        d->max_work_group = o->force_max_work_group;
    if (o->force_local_mem && o->force_local_mem < d->local_mem)
        d->local_mem = (size_t)o->force_local_mem;
    if (o->force_max_alloc && o->force_max_alloc < d->info.max_alloc)
        d->info.max_alloc = o->force_max_alloc;
    if (o->force_no_fp64)
        d->fp64 = 0;
    if (o->force_gpu_layout)
        d->info.is_gpu = 1;
}

backend *backend_cl_create(int i, const pcnn_device_opts *opts)
{
    const cl_device_entry *list;
    int n = cl_device_entries(&list, NULL);
    if (i < 0 || i >= n) {
        pcnn_fail(PCNN_ERR_ARG, "no OpenCL device %d", i);
        return NULL;
    }
    cl_backend *c = calloc(1, sizeof *c);
    if (!c) {
        pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the OpenCL backend");
        return NULL;
    }
    c->own = list[i];
    limit_device(&c->own, opts);
    c->dev = &c->own;
    c->log = opts->log;
    snprintf(c->build.kernel_dir, sizeof c->build.kernel_dir, "%s", opts->kernel_dir ? opts->kernel_dir : "");
    snprintf(c->build.cache_dir, sizeof c->build.cache_dir, "%s", opts->cache_dir ? opts->cache_dir : "");
    c->masked_kernels = use_masked_kernels(c->dev, opts->gemm);
    c->ops = cl_ops;
    if (c->masked_kernels) {
        c->ops.masked_gemm = cl_masked_gemm;
        c->ops.masked_gemm_tn = cl_masked_gemm_tn;
    }
    if (opts->sample_composed) /* the fast sampler's step as a chain of ops, as device 0 runs it */
        c->ops.sample_step = NULL;
    backend_install_generic(&c->ops); /* CLBlast per colour group, the unfused softmax */
    c->base.ops = &c->ops;
    c->profile.on = opts->profile;
    snprintf(c->base.name, sizeof c->base.name, "%.60s (OpenCL, %.40s; %s)", c->dev->info.name, c->dev->info.platform,
             c->masked_kernels ? "cl/gemm.cl" : "CLBlast");
    cl_int st;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c->dev->platform, 0};
    c->ctx = clCreateContext(props, 1, &c->dev->device, NULL, NULL, &st);
    if (st == CL_SUCCESS)
        c->queue = clCreateCommandQueue(c->ctx, c->dev->device, 0, &st);
    if (st != CL_SUCCESS) {
        pcnn_fail(PCNN_ERR_DEVICE, "cannot open OpenCL device %d (%s): %s", i + 1, c->dev->info.name,
                  cl_status_name(st));
        cl_destroy(&c->base);
        return NULL;
    }
    /* `pcnn-cl tune`'s parameters for this device and driver, if any. */
    cl_tuning_load(c->dev, c->build.cache_dir, opts->no_tune, &c->log, &c->tuning);
    c->gemm = choose_tiles(c, opts);
    if (cl_kernels_build_all(c) != PCNN_OK) {
        cl_destroy(&c->base);
        return NULL;
    }
    return &c->base;
}

const pcnn_device_info *backend_cl_info(const backend *be) { return &((const cl_backend *)be)->dev->info; }
int backend_cl_masked_kernels(const backend *be) { return ((const cl_backend *)be)->masked_kernels; }
const char *backend_cl_tune_file(const backend *be) { return ((const cl_backend *)be)->tuning.path; }

void backend_cl_limits(const backend *be, size_t *max_work_group, size_t *local_mem)
{
    const cl_device_entry *d = ((const cl_backend *)be)->dev;
    *max_work_group = d->max_work_group;
    *local_mem = d->local_mem;
}

void backend_cl_kernel_limits(const backend *be, size_t *largest_local, size_t *largest_local_mem)
{
    const cl_backend *c = (const cl_backend *)be;
    *largest_local = *largest_local_mem = 0;
    for (int k = 0; k < N_KERNELS; k++) {
        if (!c->kernels[k])
            continue;
        if (c->local[k] > *largest_local)
            *largest_local = c->local[k];
        if (c->kernel_local_mem[k] > *largest_local_mem)
            *largest_local_mem = c->kernel_local_mem[k];
    }
}

pcnn_status backend_cl_apply_clblast(backend *be, const tune_set *set)
{
    return cl_tuning_apply_clblast(CL(be)->dev, set);
}

void backend_cl_program_counts(const backend *be, int *built, int *cached)
{
    const cl_backend *c = (const cl_backend *)be;
    *built = c->counts.built;
    *cached = c->counts.cached;
}
