/* Every backend operation on every OpenCL device against the CPU backend
 * (device 0), after ggml's test-backend-ops: each case is named by its
 * parameters, runs on random inputs held at odd element offsets, and compares
 * every buffer afterwards (outputs, and inputs that must stay untouched). The
 * largest difference per operation is printed at the end.
 *
 * Tolerances (relative to max(1, largest |CPU value|)): 0 for operations that
 * are the same float arithmetic in the same order (copies, im2col/col2im,
 * masks, bias_act, relu, add); 1e-6 where a division or sqrt is involved
 * (pixels_to_input, Adam, RMSProp: exact too where the device offers correctly
 * rounded / and sqrt, as PoCL does; OpenCL otherwise allows 2.5-3 ulp); 1e-5
 * where the summation order or exp/log differ (GEMM, bias_grad, softmax).
 * The sampling ops: add_act_2d and gather_taps exact; sample_draw's pixels
 * exact (the same logits must give the same draw on every device: a double
 * CDF flips a choice only when t lies within ~1e-16 of a partial sum), its
 * float input v/255 within 1e-6 (a division, as pixels_to_input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#ifdef PCNN_OPENCL
#include "opencl/cl_backend.h"
#endif
#include "pcnn/device.h"
#include "test_util.h"

enum { MAX_CL = 8, MAX_BUFS = 6, OFF = 5 /* element offset of every view: odd, so no alignment is assumed */ };

typedef struct {
    backend *cpu;
    backend *cl[MAX_CL];
    int ncl;
} devices;

typedef pcnn_status (*op_fn)(backend *be, bview *v, const int *ip, const float *fp);

typedef struct {
    const char *op;
    char label[128];
    int nbufs;
    size_t n[MAX_BUFS];     /* elements (after the offset) */
    int u8[MAX_BUFS];       /* 1: a uint8 buffer */
    int u8_mod;             /* uint8 values are random % u8_mod (class targets) */
    float scale[MAX_BUFS];  /* floats are uniform in [-scale, scale] (scale 0 means 1) */
    int positive[MAX_BUFS]; /* 1: |value| (second moments of optimisers) */
    op_fn run;
    int (*provided)(const backend *be); /* optional ops: NULL, or whether a backend has it */
    int ip[14];
    float fp[4];
    double tol;
} op_case;

/* Largest difference seen per operation, for the summary. */
static struct {
    const char *op;
    double diff;
    int cases;
} summary[32];

static void note(const char *op, double diff)
{
    int i = 0;
    while (summary[i].op && strcmp(summary[i].op, op) != 0)
        i++;
    summary[i].op = op;
    summary[i].cases++;
    if (diff > summary[i].diff)
        summary[i].diff = diff;
}

static size_t elem(const op_case *c, int i) { return c->u8[i] ? 1 : sizeof(float); }

/* Runs the case on one backend; returns every buffer's bytes after the op. */
static unsigned char **run_on(backend *be, const op_case *c, uint64_t seed)
{
    bbuf *b[MAX_BUFS];
    bview v[MAX_BUFS];
    unsigned char **out = calloc(MAX_BUFS, sizeof *out);
    for (int i = 0; i < c->nbufs; i++) {
        size_t bytes = (c->n[i] + OFF) * elem(c, i);
        unsigned char *host = malloc(bytes);
        if (c->u8[i]) {
            test_random_bytes(host, bytes, seed + i);
            for (size_t k = 0; k < bytes; k++)
                host[k] = (unsigned char)(host[k] % c->u8_mod);
        } else {
            float *f = (float *)host;
            test_random_floats(f, bytes / sizeof(float), c->scale[i] ? c->scale[i] : 1.0f, seed + i);
            for (size_t k = 0; c->positive[i] && k < bytes / sizeof(float); k++)
                f[k] = fabsf(f[k]);
        }
        b[i] = be->ops->alloc(be, bytes, "test tensor");
        assert_non_null(b[i]);
        assert_int_equal(be->ops->write(be, b[i], 0, host, bytes), PCNN_OK);
        v[i] = (bview){b[i], OFF};
        out[i] = host;
    }
    pcnn_status st = c->run(be, v, c->ip, c->fp);
    if (st)
        fail_msg("%s on %s: %s", c->label, be->name, pcnn_last_error());
    for (int i = 0; i < c->nbufs; i++) {
        assert_int_equal(be->ops->read(be, b[i], 0, out[i], (c->n[i] + OFF) * elem(c, i)), PCNN_OK);
        be->ops->release(be, b[i]);
    }
    return out;
}

static void check_case(const devices *d, const op_case *c)
{
    if (d->ncl == 0)
        skip();
    static uint64_t seed = 1;
    seed += 100;
    unsigned char **want = run_on(d->cpu, c, seed);
    for (int k = 0; k < d->ncl; k++) {
        if (c->provided && !c->provided(d->cl[k])) {
            print_message("  %-48s %-10s not provided\n", c->label, d->cl[k]->name);
            continue;
        }
        unsigned char **got = run_on(d->cl[k], c, seed);
        double worst = 0.0, scale = 1.0;
        for (int i = 0; i < c->nbufs; i++) {
            size_t n = c->n[i] + OFF;
            if (c->u8[i]) {
                assert_memory_equal(got[i], want[i], n);
                continue;
            }
            double diff = max_abs_diff((float *)got[i], (float *)want[i], n), m = max_abs((float *)want[i], n);
            if (diff > worst)
                worst = diff;
            if (m > scale)
                scale = m;
        }
        double rel = worst / scale;
        note(c->op, rel);
        print_message("  %-48s %-10s max diff %.3g (relative %.3g, tolerance %.3g)\n", c->label, d->cl[k]->name, worst,
                      rel, c->tol);
        if (!(rel <= c->tol))
            fail_msg("%s on %s: relative difference %.3g exceeds %.3g", c->label, d->cl[k]->name, rel, c->tol);
        for (int i = 0; i < c->nbufs; i++)
            free(got[i]);
        free(got);
    }
    for (int i = 0; i < c->nbufs; i++)
        free(want[i]);
    free(want);
}

/* ---- the operations as cases -------------------------------------------- */

static pcnn_status run_fill(backend *be, bview *v, const int *ip, const float *fp)
{
    return be->ops->fill(be, v[0], (size_t)ip[0], fp[0]);
}

static pcnn_status run_copy(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    /* between buffers, then within one buffer (disjoint ranges) */
    pcnn_status st = be->ops->copy(be, v[0], v[1], (size_t)ip[0]);
    return st ? st : be->ops->copy(be, bview_at(v[1], (size_t)ip[0]), v[1], (size_t)ip[0]);
}

static pcnn_status run_gemm(backend *be, bview *v, const int *ip, const float *fp)
{
    return be->ops->gemm(be, ip[0], ip[1], ip[2], ip[3], ip[4], fp[0], bview_at(v[0], 2), ip[5], bview_at(v[1], 1),
                         ip[6], fp[1], bview_at(v[2], 3), ip[7]);
}

static pcnn_status run_im2col(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->im2col(be, v[0], v[1], ip[0], ip[1], ip[2], ip[3], ip[4], ip[4], ip[5]);
}

static pcnn_status run_col2im(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->col2im(be, v[0], v[1], ip[0], ip[1], ip[2], ip[3], ip[4], ip[4], ip[5], ip[6]);
}

static pcnn_status run_bias_act(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->bias_act(be, v[0], v[1], (size_t)ip[0], ip[1], ip[2]);
}

static pcnn_status run_bias_grad(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->bias_grad(be, v[0], v[1], (size_t)ip[0], ip[1]);
}

static pcnn_status run_relu(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->relu(be, v[0], v[1], (size_t)ip[0]);
}

static pcnn_status run_relu_backward(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->relu_backward(be, v[0], v[1], (size_t)ip[0]);
}

static pcnn_status run_add(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->add(be, v[0], v[1], (size_t)ip[0]);
}

static pcnn_status run_mask_centre(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->mask_centre(be, v[0], ip[0], ip[0], ip[1], ip[2], ip[3], ip[4]);
}

static pcnn_status run_pixels_to_input(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->pixels_to_input(be, v[0], v[1], (size_t)ip[0]);
}

static pcnn_status run_softmax_xent(backend *be, bview *v, const int *ip, const float *fp)
{
    return be->ops->softmax_xent(be, v[0], v[1], v[2], (size_t)ip[0], ip[1], ip[2], fp[0]);
}

static pcnn_status run_adam(backend *be, bview *v, const int *ip, const float *fp)
{
    return be->ops->adam(be, v[0], v[1], v[2], v[3], (size_t)ip[0], fp[0], fp[1], fp[2], fp[3]);
}

static pcnn_status run_rmsprop(backend *be, bview *v, const int *ip, const float *fp)
{
    return be->ops->rmsprop(be, v[0], v[1], v[2], (size_t)ip[0], fp[0], fp[1], fp[2]);
}

/* The segments of a masked product over n columns and inner size K. kind 0:
 * three colour groups reading the prefixes K/3, 2K/3, K (a mode-B layer);
 * 1: mode A, the first group's range empty; 2: the input-gradient form,
 * three groups reading [g*K/3, K) and a last segment with an empty range. */
static gemm_segments test_segments(int kind, int n, int K)
{
    gemm_segments s = {.count = kind == 2 ? 4 : 3};
    for (int g = 0; g < 3; g++) {
        s.end[g] = kind == 2 ? n * (g + 1) / 4 : n * (g + 1) / 3;
        s.lo[g] = kind == 2 ? g * K / 3 : 0;
        s.hi[g] = kind == 2 ? K : kind == 1 ? K * g / 2 : K * (g + 1) / 3;
    }
    if (kind == 2)
        s.end[3] = n, s.lo[3] = s.hi[3] = 0;
    return s;
}

/* ip: m, n, K, trans_b, relu, accumulate, has_bias, segment kind, lda, ldb, ldc;
 * buffers A, B, bias, C. */
static pcnn_status run_masked_gemm(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    gemm_segments s = test_segments(ip[7], ip[1], ip[2]);
    bview bias = ip[6] ? v[2] : (bview){NULL, 0};
    return be->ops->masked_gemm(be, ip[0], ip[1], v[0], ip[8], NULL, v[1], ip[9], ip[3], &s, bias, ip[4], ip[5], v[3],
                                ip[10]);
}

/* ip: K, n, m, segment kind, lda, ldb, ldc; buffers A, B, C. */
static pcnn_status run_masked_gemm_tn(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    gemm_segments s = test_segments(ip[3], ip[1], ip[0]);
    return be->ops->masked_gemm_tn(be, ip[0], ip[1], ip[2], v[0], ip[4], NULL, v[1], ip[5], &s, v[2], ip[6]);
}

/* ip: m, colours, K, segment kind, lda, ldb, want_grad; fp: grad_scale;
 * buffers A, B, bias, logits, targets (uint8), loss. */
static pcnn_status run_masked_gemm_xent(backend *be, bview *v, const int *ip, const float *fp)
{
    int n = 256 * ip[1];
    gemm_segments s = test_segments(ip[3], n, ip[2]);
    if (ip[1] == 1) /* one colour: one segment over the whole inner range */
        s = (gemm_segments){.count = 1, .end = {n}, .lo = {0}, .hi = {ip[2]}};
    return be->ops->masked_gemm_xent(be, ip[0], n, v[0], ip[4], v[1], ip[5], &s, v[2], v[3], v[4], v[5], ip[6], fp[0]);
}

/* mode 0: dst, a, b separate; 1: no b; 2: in place (dst = a) with b one
 * broadcast row (ld_b = 0, the bias form); 3: a broadcast (ld_a = 0). */
static pcnn_status run_add_act_2d(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    size_t rows = (size_t)ip[0], ld_dst = (size_t)ip[2], ld_a = (size_t)ip[3], ld_b = (size_t)ip[4];
    int cols = ip[1], relu = ip[5], mode = ip[6];
    bview none = {NULL, 0};
    switch (mode) {
    case 1:
        return be->ops->add_act_2d(be, v[0], ld_dst, v[1], ld_a, none, 0, rows, cols, relu);
    case 2:
        return be->ops->add_act_2d(be, v[0], ld_dst, v[0], ld_dst, v[2], 0, rows, cols, relu);
    case 3:
        return be->ops->add_act_2d(be, v[0], ld_dst, v[1], 0, v[2], ld_b, rows, cols, relu);
    default:
        return be->ops->add_act_2d(be, v[0], ld_dst, v[1], ld_a, v[2], ld_b, rows, cols, relu);
    }
}

static pcnn_status run_gather_taps(backend *be, bview *v, const int *ip, const float *fp)
{
    (void)fp;
    return be->ops->gather_taps(be, v[0], v[1], ip[0], ip[1], ip[2], ip[3], ip[4], ip[4], ip[5], ip[6], ip[7]);
}

/* ip: n, pixel_stride, input_stride (0: no input), ld_logits, y, x, colour,
 * image_base, seed low and high words; fp: inv_temperature. */
static pcnn_status run_sample_draw(backend *be, bview *v, const int *ip, const float *fp)
{
    uint64_t seed = (uint32_t)ip[8] | (uint64_t)(uint32_t)ip[9] << 32;
    bview input = ip[2] ? v[1] : (bview){NULL, 0};
    return be->ops->sample_draw(be, v[0], (size_t)ip[1], input, (size_t)ip[2], v[2], (size_t)ip[3], ip[0], seed,
                                (uint32_t)ip[7], ip[4], ip[5], ip[6], fp[0], v[3]);
}

/* ---- tests -------------------------------------------------------------- */

static void test_fill_copy(void **state)
{
    int sizes[] = {1, 1000, 4099};
    for (int i = 0; i < 3; i++) {
        op_case f = {.op = "fill", .nbufs = 1, .n = {sizes[i]}, .run = run_fill, .ip = {sizes[i]}, .fp = {0.75f}};
        snprintf(f.label, sizeof f.label, "fill n=%d", sizes[i]);
        check_case(*state, &f);
        op_case c = {
            .op = "copy", .nbufs = 2, .n = {sizes[i], 2 * (size_t)sizes[i]}, .run = run_copy, .ip = {sizes[i]}};
        snprintf(c.label, sizeof c.label, "copy n=%d", sizes[i]);
        check_case(*state, &c);
    }
}

static void test_gemm(void **state)
{
    /* m, n, k and padding of the leading dimensions */
    int shapes[][4] = {{1, 1, 1, 0}, {17, 33, 9, 3}, {64, 48, 100, 0}, {130, 7, 75, 5}};
    float betas[] = {0.0f, 0.5f};
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++)
            for (int bi = 0; bi < 2; bi++) {
                int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], pad = shapes[s][3];
                int ta = t & 1, tb = t >> 1;
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                size_t na = (size_t)(ta ? k : m) * lda + 2, nb = (size_t)(tb ? n : k) * ldb + 1,
                       nc = (size_t)m * ldc + 3;
                op_case c = {.op = "gemm",
                             .nbufs = 3,
                             .n = {na, nb, nc},
                             .run = run_gemm,
                             .ip = {ta, tb, m, n, k, lda, ldb, ldc},
                             .fp = {0.7f, betas[bi]},
                             .tol = 1e-5};
                snprintf(c.label, sizeof c.label, "gemm %c%c m=%d n=%d k=%d ld+%d beta=%g", ta ? 'T' : 'N',
                         tb ? 'T' : 'N', m, n, k, pad, betas[bi]);
                check_case(*state, &c);
            }
}

/* The masked product over shapes around the OpenCL kernel's tiles (6 x 16
 * register tiles, 96 rows per work-item by default): rows, columns and inner
 * sizes one short of, equal to and past them, panels split by segments, and
 * a 3x3 layer's shape; with and without bias, ReLU, accumulate, B transposed. */
static void test_masked_gemm(void **state)
{
    /* m, n, K */
    int shapes[][3] = {{1, 3, 1}, {7, 16, 9}, {100, 40, 75}, {203, 51, 130}, {1030, 48, 240}};
    /* trans_b, relu, accumulate, has_bias, segment kind */
    int variants[][5] = {{0, 1, 0, 1, 0}, {0, 0, 0, 0, 1}, {1, 0, 1, 0, 2},
                         {1, 0, 0, 0, 2}, {0, 0, 1, 1, 0}, {0, 1, 1, 1, 1}}; /* the last: a residual */
    for (int s = 0; s < 5; s++)
        for (int v = 0; v < 6; v++) {
            const int *p = shapes[s], *q = variants[v];
            int m = p[0], n = p[1], K = p[2], lda = K + 3, ldb = (q[0] ? K : n) + 1, ldc = n + 2;
            size_t na = (size_t)m * lda, nb = (size_t)(q[0] ? n : K) * ldb, nc = (size_t)m * ldc;
            op_case c = {.op = "masked_gemm",
                         .nbufs = 4,
                         .n = {na, nb, (size_t)n, nc},
                         .run = run_masked_gemm,
                         .ip = {m, n, K, q[0], q[1], q[2], q[3], q[4], lda, ldb, ldc},
                         .tol = 1e-5};
            snprintf(c.label, sizeof c.label, "masked_gemm m=%d n=%d K=%d tb=%d relu=%d acc=%d bias=%d seg=%d", m, n,
                     K, q[0], q[1], q[2], q[3], q[4]);
            check_case(*state, &c);
        }
}

/* The weight gradient over the same kind of edges, with row counts that
 * take one cache chunk or several (256 rows each by default), one row split
 * or several (partial sums added in order), and a C of many blocks. */
static void test_masked_gemm_tn(void **state)
{
    /* K, n, m */
    int shapes[][3] = {{1, 3, 0},      {7, 16, 9},     {75, 40, 100}, {130, 51, 1300},
                       {240, 48, 2049}, {20, 33, 512}, {600, 700, 300}};
    for (int s = 0; s < 7; s++)
        for (int kind = 0; kind < 3; kind++) {
            int K = shapes[s][0], n = shapes[s][1], m = shapes[s][2], lda = K + 2, ldb = n + 3, ldc = n + 1;
            op_case c = {.op = "masked_gemm_tn",
                         .nbufs = 3,
                         .n = {(size_t)m * lda + 1, (size_t)m * ldb + 1, (size_t)K * ldc},
                         .run = run_masked_gemm_tn,
                         .ip = {K, n, m, kind, lda, ldb, ldc},
                         .tol = 1e-5};
            snprintf(c.label, sizeof c.label, "masked_gemm_tn K=%d n=%d m=%d seg=%d", K, n, m, kind);
            check_case(*state, &c);
        }
}

/* The final layer with its loss: the masked product's logits, then the
 * softmax cross-entropy over rows of 256 classes (and its gradient in place
 * of the logits), for one and three colours, fused or composed. */
static void test_masked_gemm_xent(void **state)
{
    /* m, colours, K, segment kind */
    int shapes[][4] = {{1, 1, 1, 0}, {37, 1, 40, 0}, {64, 3, 96, 0}, {130, 3, 33, 1}, {600, 3, 192, 0}};
    for (int s = 0; s < 5; s++)
        for (int grad = 0; grad < 2; grad++) {
            int m = shapes[s][0], C = shapes[s][1], K = shapes[s][2], n = 256 * C, lda = K + 1, ldb = n + 3;
            size_t rows = (size_t)m * C;
            op_case c = {.op = "masked_gemm_xent",
                         .nbufs = 6,
                         .n = {(size_t)m * lda, (size_t)K * ldb, (size_t)n, (size_t)m * n, rows, rows},
                         .u8 = {0, 0, 0, 0, 1, 0},
                         .u8_mod = 256,
                         .scale = {1.0f, 0.5f, 0.3f},
                         .run = run_masked_gemm_xent,
                         .ip = {m, C, K, shapes[s][3], lda, ldb, grad},
                         .fp = {1.0f / (float)rows},
                         .tol = 1e-5};
            snprintf(c.label, sizeof c.label, "masked_gemm_xent m=%d C=%d K=%d seg=%d grad=%d", m, C, K, shapes[s][3],
                     grad);
            check_case(*state, &c);
        }
}

#ifdef PCNN_OPENCL
/* The same cases with other tiles of cl/gemm.cl (what `pcnn-cl tune` may
 * pick): smaller and odd register tiles, row blocks and row chunks, so every
 * tile edge moves. */
static void test_masked_gemm_other_tiles(void **state)
{
    devices *d = *state;
    if (d->ncl == 0)
        skip();
    static const cl_gemm_tiles tiles[] = {{4, 16, 48, 64}, {8, 8, 96, 100}, {5, 8, 15, 37}, {1, 8, 1, 16}};
    cl_gemm_tiles saved[MAX_CL];
    for (int k = 0; k < d->ncl; k++)
        backend_cl_gemm_tiles(d->cl[k], &saved[k]);
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
        print_message("  tiles MR=%d NR=%d MC=%d TN_CHUNK=%d\n", tiles[t].mr, tiles[t].nr, tiles[t].mc,
                      tiles[t].tn_chunk);
        for (int k = 0; k < d->ncl; k++)
            if (backend_cl_masked_kernels(d->cl[k]))
                assert_int_equal(backend_cl_set_gemm_tiles(d->cl[k], &tiles[t]), PCNN_OK);
        test_masked_gemm(state);
        test_masked_gemm_tn(state);
    }
    for (int k = 0; k < d->ncl; k++)
        if (backend_cl_masked_kernels(d->cl[k]))
            assert_int_equal(backend_cl_set_gemm_tiles(d->cl[k], &saved[k]), PCNN_OK);
}
#endif

/* B, H, W, cin, k, taps */
static const int conv_shapes[][6] = {
    {2, 5, 6, 3, 3, 5}, {1, 8, 8, 3, 7, 25}, {2, 4, 4, 6, 3, 5}, {1, 3, 7, 2, 1, 1}, {1, 2, 2, 4, 7, 24}};

static void test_im2col_col2im(void **state)
{
    for (size_t s = 0; s < sizeof conv_shapes / sizeof *conv_shapes; s++) {
        const int *p = conv_shapes[s];
        size_t rows = (size_t)p[0] * p[1] * p[2], col = rows * p[5] * p[3], in = rows * p[3];
        op_case f = {
            .op = "im2col", .nbufs = 2, .n = {col, in}, .run = run_im2col, .ip = {p[0], p[1], p[2], p[3], p[4], p[5]}};
        snprintf(f.label, sizeof f.label, "im2col B=%d H=%d W=%d cin=%d k=%d taps=%d", p[0], p[1], p[2], p[3], p[4],
                 p[5]);
        check_case(*state, &f);
        for (int acc = 0; acc < 2; acc++) {
            op_case b = {.op = "col2im",
                         .nbufs = 2,
                         .n = {in, col},
                         .run = run_col2im,
                         .ip = {p[0], p[1], p[2], p[3], p[4], p[5], acc}};
            snprintf(b.label, sizeof b.label, "col2im B=%d H=%d W=%d cin=%d k=%d taps=%d acc=%d", p[0], p[1], p[2],
                     p[3], p[4], p[5], acc);
            check_case(*state, &b);
        }
    }
}

static void test_bias(void **state)
{
    int shapes[][2] = {{37, 19}, {1, 5}, {4096, 48}, {300, 768}};
    for (int s = 0; s < 4; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        for (int relu = 0; relu < 2; relu++) {
            op_case c = {.op = "bias_act",
                         .nbufs = 2,
                         .n = {(size_t)rows * cols, cols},
                         .run = run_bias_act,
                         .ip = {rows, cols, relu}};
            snprintf(c.label, sizeof c.label, "bias_act rows=%d cols=%d relu=%d", rows, cols, relu);
            check_case(*state, &c);
        }
        op_case g = {.op = "bias_grad",
                     .nbufs = 2,
                     .n = {cols, (size_t)rows * cols},
                     .run = run_bias_grad,
                     .ip = {rows, cols},
                     .tol = 1e-5};
        snprintf(g.label, sizeof g.label, "bias_grad rows=%d cols=%d", rows, cols);
        check_case(*state, &g);
    }
}

static void test_elementwise(void **state)
{
    int sizes[] = {1, 1001, 70000};
    for (int i = 0; i < 3; i++) {
        size_t n = (size_t)sizes[i];
        op_case cases[] = {
            {.op = "relu", .nbufs = 2, .n = {n, n}, .run = run_relu, .ip = {sizes[i]}},
            {.op = "relu_backward", .nbufs = 2, .n = {n, n}, .run = run_relu_backward, .ip = {sizes[i]}},
            {.op = "add", .nbufs = 2, .n = {n, n}, .run = run_add, .ip = {sizes[i]}},
            {.op = "pixels_to_input",
             .nbufs = 2,
             .n = {n, n},
             .u8 = {0, 1},
             .u8_mod = 256,
             .run = run_pixels_to_input,
             .ip = {sizes[i]},
             .tol = 1e-6},
        };
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            snprintf(cases[k].label, sizeof cases[k].label, "%s n=%d", cases[k].op, sizes[i]);
            check_case(*state, &cases[k]);
        }
    }
}

static void test_mask_centre(void **state)
{
    /* k, cin, cout, colours, mode */
    int shapes[][5] = {
        {3, 6, 9, 3, 'A'}, {3, 6, 9, 3, 'B'}, {7, 3, 6, 3, 'A'}, {1, 4, 4, 1, 'B'}, {1, 12, 768, 3, 'B'}};
    for (int s = 0; s < 5; s++) {
        const int *p = shapes[s];
        op_case c = {.op = "mask_centre",
                     .nbufs = 1,
                     .n = {(size_t)p[0] * p[0] * p[1] * p[2]},
                     .run = run_mask_centre,
                     .ip = {p[0], p[1], p[2], p[3], p[4]}};
        snprintf(c.label, sizeof c.label, "mask_centre k=%d cin=%d cout=%d C=%d mode=%c", p[0], p[1], p[2], p[3], p[4]);
        check_case(*state, &c);
    }
}

static void test_softmax_xent(void **state)
{
    /* rows, classes, logit scale (large logits test the max subtraction) */
    int shapes[][3] = {{50, 256, 4}, {3, 10, 1}, {200, 768, 2}, {17, 256, 80}};
    for (int s = 0; s < 4; s++)
        for (int grad = 0; grad < 2; grad++) {
            int rows = shapes[s][0], classes = shapes[s][1];
            op_case c = {.op = "softmax_xent",
                         .nbufs = 3,
                         .n = {(size_t)rows * classes, rows, rows},
                         .u8 = {0, 1, 0},
                         .u8_mod = classes,
                         .scale = {(float)shapes[s][2]},
                         .run = run_softmax_xent,
                         .ip = {rows, classes, grad},
                         .fp = {0.01f},
                         .tol = 1e-5};
            snprintf(c.label, sizeof c.label, "softmax_xent rows=%d classes=%d scale=%d grad=%d", rows, classes,
                     shapes[s][2], grad);
            check_case(*state, &c);
        }
}

static void test_optimisers(void **state)
{
    int sizes[] = {1, 1000, 13057};
    for (int i = 0; i < 3; i++) {
        size_t n = (size_t)sizes[i];
        /* weights, gradients ~0.1, first moments ~0.01, second moments >= 0 */
        op_case a = {.op = "adam",
                     .nbufs = 4,
                     .n = {n, n, n, n},
                     .scale = {1, 0.1f, 0.01f, 0.01f},
                     .positive = {0, 0, 0, 1},
                     .run = run_adam,
                     .ip = {sizes[i]},
                     .fp = {1e-3f, 0.9f, 0.999f, 1e-7f}, .tol = 1e-6};
        snprintf(a.label, sizeof a.label, "adam n=%d", sizes[i]);
        check_case(*state, &a);
        op_case r = {.op = "rmsprop",
                     .nbufs = 3,
                     .n = {n, n, n},
                     .scale = {1, 0.1f, 0.01f},
                     .positive = {0, 0, 1},
                     .run = run_rmsprop,
                     .ip = {sizes[i]},
                     .fp = {1e-3f, 0.9f, 1e-7f}, .tol = 1e-6};
        snprintf(r.label, sizeof r.label, "rmsprop n=%d", sizes[i]);
        check_case(*state, &r);
    }
}

static void test_add_act_2d(void **state)
{
    /* rows, cols, padding of the leading dimensions */
    int shapes[][3] = {{1, 1, 0}, {16, 32, 7}, {3, 258, 0}, {64, 1026, 3}, {5, 1, 2}};
    static const char *const modes[] = {"a+b", "a", "in place + bias row", "broadcast a"};
    for (int s = 0; s < 5; s++)
        for (int mode = 0; mode < 4; mode++)
            for (int relu = 0; relu < 2; relu++) {
                int rows = shapes[s][0], cols = shapes[s][1], pad = shapes[s][2];
                int ld_dst = cols + pad, ld_a = mode == 3 ? 0 : cols + 2 * pad, ld_b = mode == 2 ? 0 : cols + 1;
                size_t ndst = (size_t)rows * ld_dst, na = (size_t)rows * ld_a + cols, nb = (size_t)rows * ld_b + cols;
                op_case c = {.op = "add_act_2d",
                             .nbufs = 3,
                             .n = {ndst, na, nb},
                             .run = run_add_act_2d,
                             .ip = {rows, cols, ld_dst, ld_a, ld_b, relu, mode}};
                snprintf(c.label, sizeof c.label, "add_act_2d %dx%d ld+%d %s relu=%d", rows, cols, pad, modes[mode],
                         relu);
                check_case(*state, &c);
            }
}

static void test_gather_taps(void **state)
{
    /* n, R, W, cin, k, taps, y, x: rows at the top (taps above the image),
     * ring wrap-around (y >= R), left and right edges, a ring shorter than
     * the kernel (images lower than k/2 + 1), mask A and B tap counts. */
    int shapes[][8] = {{3, 4, 5, 3, 7, 24, 0, 0},  {3, 4, 5, 3, 7, 25, 6, 4}, {2, 4, 9, 6, 7, 25, 9, 2},
                       {16, 2, 8, 32, 3, 5, 5, 7}, {1, 2, 3, 4, 7, 24, 1, 1}, {2, 1, 4, 2, 3, 4, 0, 3},
                       {4, 4, 32, 96, 7, 25, 31, 31}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int *p = shapes[s];
        size_t col = (size_t)p[0] * p[5] * p[3], ring = (size_t)p[0] * p[1] * p[2] * p[3];
        op_case c = {.op = "gather_taps",
                     .nbufs = 2,
                     .n = {col, ring},
                     .run = run_gather_taps,
                     .ip = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]}};
        snprintf(c.label, sizeof c.label, "gather_taps n=%d R=%d W=%d cin=%d k=%d taps=%d y=%d x=%d", p[0], p[1],
                 p[2], p[3], p[4], p[5], p[6], p[7]);
        check_case(*state, &c);
    }
}

/* The same logits draw the same values on every device: logits from flat
 * (scale 1) to peaked (scale 30, most values with probability ~1e-20), at
 * temperatures 1, 0.5, 3 and 1/30 (exponents down past -746, where exp
 * underflows: device 0's vector exp hands those lanes to libm or to 0),
 * seeds with both key words set, strided outputs. */
static void test_sample_draw(void **state)
{
    /* n, pixel stride, input stride, ld_logits pad, y, x, colour, image_base, logit scale, 1/T (x10) */
    int shapes[][10] = {{1, 1, 1, 0, 0, 0, 0, 0, 1, 10},        {16, 3, 5, 512, 7, 3, 2, 0, 4, 10},
                        {64, 768, 0, 0, 31, 31, 1, 1000, 30, 10}, {37, 1, 2, 256, 2, 9, 0, 7, 4, 5},
                        {200, 2, 1, 0, 1, 1, 0, 123456, 2, 30},   {48, 1, 1, 0, 5, 5, 2, 99, 30, 300}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int *p = shapes[s];
        int n = p[0], ld = 256 + p[3];
        size_t npx = (size_t)(n - 1) * p[1] + 1, nin = (size_t)(n > 1 ? n - 1 : 1) * (p[2] ? p[2] : 1) + 1;
        op_case c = {.op = "sample_draw",
                     .nbufs = 4, /* pixels, input, logits, the non-finite flags (left alone here) */
                     .n = {npx, nin, (size_t)n * ld, (size_t)n},
                     .u8 = {1, 0, 0, 0},
                     .u8_mod = 256,
                     .scale = {0, 1, (float)p[8]},
                     .run = run_sample_draw,
                     .ip = {n, p[1], p[2], ld, p[4], p[5], p[6], p[7], (int)(0x9E3779B9u + s), (int)(s * 77)},
                     .fp = {(float)p[9] / 10.0f},
                     .tol = 1e-6};
        snprintf(c.label, sizeof c.label, "sample_draw n=%d strides %d/%d ld=%d (%d,%d,%d) img0=%d scale=%d T=%.2g",
                 n, p[1], p[2], ld, p[4], p[5], p[6], p[7], p[8], 10.0 / p[9]);
        check_case(*state, &c);
    }
}

/* Allocations beyond one allocation's limit, or beyond the global memory left,
 * are refused before the driver sees them, naming the tensor, its size and
 * what to reduce. The second case pretends most memory is in use (the
 * backend's own accounting) instead of really filling the device. */
static void test_alloc_limits(void **state)
{
    devices *d = *state;
    if (d->ncl == 0)
        skip();
    for (int k = 0; k < d->ncl; k++) {
        backend *be = d->cl[k];
        pcnn_device_info info;
        assert_int_equal(pcnn_device_describe(k + 1, &info), PCNN_OK);
        assert_null(be->ops->alloc(be, (size_t)info.max_alloc + 1, "activations of res.3"));
        const char *msg = pcnn_last_error();
        print_message("  %s\n", msg);
        assert_non_null(strstr(msg, "activations of res.3"));
        assert_non_null(strstr(msg, "MiB"));
        assert_non_null(strstr(msg, "reduce --batch"));
        size_t saved = be->bytes_in_use;
        be->bytes_in_use = (size_t)info.global_mem - 1000;
        assert_null(be->ops->alloc(be, 4096, "the weights' gradients"));
        be->bytes_in_use = saved;
        msg = pcnn_last_error();
        print_message("  %s\n", msg);
        assert_non_null(strstr(msg, "the weights' gradients"));
        assert_non_null(strstr(msg, "left on"));
        bbuf *ok = be->ops->alloc(be, 4096, "a small tensor");
        assert_non_null(ok);
        be->ops->release(be, ok);
        assert_int_equal(be->bytes_in_use, saved);
    }
}

static int setup(void **state)
{
    devices *d = calloc(1, sizeof *d);
    if (test_device_open(0, &d->cpu))
        return -1;
    int n = pcnn_device_count(NULL);
    for (int i = 1; i < n && d->ncl < MAX_CL; i++)
        if (test_device_open(i, &d->cl[d->ncl++])) {
            print_error("cannot open device %d: %s\n", i, pcnn_last_error());
            return -1;
        }
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    devices *d = *state;
    print_message("largest relative difference, OpenCL vs CPU, per operation:\n");
    for (int i = 0; summary[i].op; i++)
        print_message("  %-16s %.3g over %d case(s)\n", summary[i].op, summary[i].diff, summary[i].cases);
    for (int i = 0; i < d->ncl; i++)
        pcnn_device_close(d->cl[i]);
    pcnn_device_close(d->cpu);
    free(d);
    return 0;
}

int main(void)
{
    const char *why = NULL;
    if (pcnn_device_count(&why) < 2) { /* ctest: skipped (SKIP_RETURN_CODE) */
        printf("backend ops, OpenCL vs CPU: no OpenCL device (%s): skipped\n", why ? why : "none found");
        return TEST_SKIPPED;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_copy),
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_masked_gemm),
        cmocka_unit_test(test_masked_gemm_tn),
        cmocka_unit_test(test_masked_gemm_xent),
#ifdef PCNN_OPENCL
        cmocka_unit_test(test_masked_gemm_other_tiles),
#endif
        cmocka_unit_test(test_im2col_col2im),
        cmocka_unit_test(test_bias),
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_mask_centre),
        cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_optimisers),
        cmocka_unit_test(test_add_act_2d),
        cmocka_unit_test(test_gather_taps),
        cmocka_unit_test(test_sample_draw),
        cmocka_unit_test(test_alloc_limits),
    };
    return cmocka_run_group_tests_name("backend ops, OpenCL vs CPU", tests, setup, teardown);
}
