/* The CPU backend's sample_step: one team task per IMGS images walks the
 * program's layers in order for those images (images are independent, so no
 * task waits for another), then draws their sub-pixels: one parallel region
 * per sub-pixel instead of the composed path's ~60.
 *
 * Same values as the composed path (gather_taps, then cpu_small_gemm, then
 * add_act_2d): each output column is acc = 0, acc += in[k] * w[k] (fused
 * where this file is compiled with contraction, as cpu_gemm.c is) for
 * k = 0, 1, ... in order, with the zero inputs of taps outside the image
 * multiplied in too, then + bias, then ReLU. */
#include <stddef.h>
#include <string.h>

#include "backend/backend.h"
#include "cpu/cpu_sample_step.h"
#include "cpu/cpu_simd.h"

/* Images per task: their rows share each weight load. Accumulators: IMGS x 2
 * vectors (of 32 zmm on AVX-512; 16 ymm hold half as many). */
#if defined(__AVX512F__)
enum { IMGS = 8 };
#else
enum { IMGS = 4 };
#endif

typedef struct {
    const int32_t *prog;
    float *state;
    const float *params;
    uint8_t *pixels;
    int n, y, x, g, draw;
    uint64_t seed;
    uint32_t image_base;
    float inv_t;
} step_job;

/* Columns [j, j + 16) of w's rows 0..kn (pair: and [j + 16, j + 32) into
 * acc1; tail < 16: only that many, the other lanes zero) for kn inputs of
 * each image row; zero: the inputs are zeros (a tap outside the image). Rows
 * past the task's images repeat its last one (computed, never stored). */
static inline __attribute__((always_inline)) void columns_of(const float *const arow[IMGS], int zero, const float *w,
                                                             size_t ldw, int kn, int pair, int tail, v16 acc[IMGS],
                                                             v16 acc1[IMGS])
{
    for (int c = 0; c < kn; c++) {
        const float *wk = w + (size_t)c * ldw;
        v16 b, b1 = {0};
        if (tail < 16) {
            b = (v16){0};
            memcpy(&b, wk, (size_t)tail * sizeof(float));
        } else {
            b = load16(wk);
            if (pair)
                b1 = load16(wk + 16);
        }
        for (int i = 0; i < IMGS; i++) {
            float a = zero ? 0.0f : arow[i][c];
            acc[i] += a * b;
            if (pair)
                acc1[i] += a * b1;
        }
    }
}

/* columns_of, compiled for each case (no test inside the loop). */
static void columns(const float *const arow[IMGS], int zero, const float *w, size_t ldw, int kn, int pair, int tail,
                    v16 acc[IMGS], v16 acc1[IMGS])
{
    if (tail < 16)
        columns_of(arow, zero, w, ldw, kn, 0, tail, acc, acc1);
    else if (zero)
        columns_of(arow, 1, w, ldw, kn, pair, 16, acc, acc1);
    else if (pair)
        columns_of(arow, 0, w, ldw, kn, 1, 16, acc, acc1);
    else
        columns_of(arow, 0, w, ldw, kn, 0, 16, acc, acc1);
}

static void conv_op(const step_job *j, const int32_t *o, int i0, int ni)
{
    const int32_t *p = j->prog;
    int W = p[SS_W], C = p[SS_C], y = j->y, x = j->x, g = j->g;
    int cin = o[SO_CIN], cout = o[SO_COUT], kh = o[SO_KH], kw = o[SO_KW], taps = o[SO_TAPS];
    int relu = o[SO_RELU], in_r = o[SO_IN_R], out_r = o[SO_OUT_R];
    size_t in_ld = (size_t)o[SO_IN_LD], out_ld = (size_t)o[SO_OUT_LD];
    int go = cout / C, gi = cin / C;
    int K = (taps - 1) * cin + (o[SO_MASK_A] ? g : g + 1) * gi;
    const float *in = j->state + o[SO_IN_OFF] + (size_t)i0 * in_ld;
    float *out = j->state + o[SO_OUT_OFF] + (out_r ? ((size_t)(y % out_r) * W + x) * cout : 0) + (size_t)g * go +
                 (size_t)i0 * out_ld;
    const float *bias = j->params + o[SO_B_OFF] + (size_t)g * go, *w = j->params + o[SO_W_OFF] + (size_t)g * go;
    for (int c0 = 0; c0 < go; c0 += 32) {
        int width = go - c0 < 32 ? go - c0 : 32, pair = width > 16;
        v16 acc[IMGS] = {{0}}, acc1[IMGS] = {{0}};
        const float *arow[IMGS];
        if (in_r) { /* the live taps of the ring, as gather_taps lays them out */
            for (int t = 0; t < taps; t++) {
                int kt = t * cin, kn = K - kt < cin ? K - kt : cin;
                if (kn <= 0)
                    break;
                int sy = y + t / kw - kh / 2, sx = x + t % kw - kw / 2, outside = sy < 0 || sx < 0 || sx >= W;
                for (int i = 0; i < IMGS; i++)
                    arow[i] = in + (size_t)(i < ni ? i : ni - 1) * in_ld +
                              (outside ? 0 : ((size_t)(sy % in_r) * W + sx) * cin);
                const float *wt = w + (size_t)kt * cout + c0;
                columns(arow, outside, wt, (size_t)cout, kn, width == 32, width < 16 ? width : 16, acc, acc1);
                if (pair && width < 32) /* the second panel's tail: its own pass over the same inputs */
                    columns(arow, outside, wt + 16, (size_t)cout, kn, 0, width - 16, acc1, acc);
            }
        } else {
            for (int i = 0; i < IMGS; i++)
                arow[i] = in + (size_t)(i < ni ? i : ni - 1) * in_ld;
            columns(arow, 0, w + c0, (size_t)cout, K, pair && width == 32, width < 16 ? width : 16, acc, acc1);
            if (pair && width < 32)
                columns(arow, 0, w + c0 + 16, (size_t)cout, K, 0, width - 16, acc1, acc);
        }
        for (int i = 0; i < ni; i++) {
            float *oi = out + (size_t)i * out_ld + c0;
            for (int c = 0; c < width; c++) {
                float v = (c < 16 ? acc[i][c] : acc1[i][c - 16]) + bias[c0 + c];
                oi[c] = relu ? relu1(v) : v;
            }
        }
    }
}

/* dst[img, g*cols + c] = act(a[..] + b[..]), or act(a[..]) without b. */
static void add_op(const step_job *j, const int32_t *o, int i0, int ni)
{
    int cols = o[SO_ADD_COLS], relu = o[SO_ADD_RELU];
    size_t ld = (size_t)o[SO_ADD_LD], at = (size_t)i0 * ld + (size_t)j->g * cols;
    float *dst = j->state + o[SO_ADD_DST] + at;
    const float *a = j->state + o[SO_ADD_A] + at, *b = o[SO_ADD_B] >= 0 ? j->state + o[SO_ADD_B] + at : NULL;
    for (int i = 0; i < ni; i++)
        for (int c = 0; c < cols; c++) {
            size_t e = (size_t)i * ld + c;
            float v = b ? a[e] + b[e] : a[e];
            dst[e] = relu ? relu1(v) : v;
        }
}

static void step_task(void *ctx, int task, int thread)
{
    const step_job *j = ctx;
    const int32_t *p = j->prog;
    (void)thread;
    int i0 = task * IMGS, ni = j->n - i0 < IMGS ? j->n - i0 : IMGS;
    for (int op = 0; op < p[SS_N_OPS]; op++) {
        const int32_t *o = p + SS_HEADER_WORDS + (size_t)op * SAMPLE_OP_WORDS;
        if (o[SO_KIND] == SAMPLE_OP_CONV)
            conv_op(j, o, i0, ni);
        else
            add_op(j, o, i0, ni);
    }
    if (!j->draw)
        return;
    int W = p[SS_W], C = p[SS_C];
    size_t at = ((size_t)j->y * W + j->x) * C + j->g, ring_at = ((size_t)(j->y % p[SS_RING0_R]) * W + j->x) * C + j->g;
    for (int i = i0; i < i0 + ni; i++)
        cpu_draw_pixel(j->state + p[SS_LOGITS] + (size_t)i * p[SS_LOGITS_LD] + (size_t)j->g * 256, j->inv_t, j->seed,
                       j->image_base + (uint32_t)i, j->y, j->x, j->g, j->pixels + (size_t)i * p[SS_IMAGE_BYTES] + at,
                       j->state + p[SS_RING0] + (size_t)i * p[SS_RING0_LD] + ring_at, j->state + p[SS_BAD] + i);
}

void cpu_sample_step(cpu_team *team, const int32_t *prog, float *state, const float *params, uint8_t *pixels, int n,
                     uint64_t seed, uint32_t image_base, int y, int x, int g, float inv_t, int draw)
{
    step_job j = {prog, state, params, pixels, n, y, x, g, draw, seed, image_base, inv_t};
    if (n > 0)
        cpu_team_run(team, (n + IMGS - 1) / IMGS, step_task, &j);
}
