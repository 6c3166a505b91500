/* The fast sampler: raster order, and at position (y, x) and colour g every
 * layer is computed for that position and output colour group only.
 *
 * Why this is exact: a layer's output at (y, x), group g, reads its input at
 * earlier positions (taps above, and left in the same row) and, at (y, x)
 * itself, input groups < g (mask A) or <= g (mask B). Those are exactly the
 * values computed at earlier steps, so each step is
 *     out[n, go] = in_col[n, k] x W_live[0:k, g*go:(g+1)*go] + bias
 * with k = (taps-1)*cin + (g or g+1)*cin/C: the centre tap is the last live
 * tap, so the inputs a group may read are a prefix of the gathered column and
 * the rows of the live kernel. Inputs of groups > g at (y, x) are never read.
 *
 * Caches (n images, NHWC rows, channels of group g at columns g*F/C):
 *   ring[l]   [n, R, W, cin] for each k x k layer (input_conv, res.i.conv_mid):
 *             the last R = k/2 + 1 rows of its input, row yy in slot yy % R;
 *             the producing layer (or the draw, for the image) writes straight
 *             into slot (y % R, x), so no copy is made.
 *   y[i], h2[i] [n, 2H] / [n, H]: block inputs and mid outputs at the current
 *             position (the groups < g of each are still needed at step g).
 * Per step: per layer one gemm (M = n images) and one add_act_2d, plus a
 * gather_taps for k x k layers and one sample_draw: no host round trip. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_try.h"
#include "model/model_types.h"
#include "sample/sample_samplers.h"

struct fast_sampler {
    pcnn_model *m;
    backend *be;
    int cap, H, W, C, L; /* cap: images the buffers hold */
    bbuf *state;         /* float: rings and per-position activations */
    bbuf *pixels;        /* uint8 [cap, H, W, C]: the images being drawn */
    size_t *ring;        /* per conv layer: offset of its input ring (k x k layers) */
    int *ring_rows;      /* per conv layer: R, or 0 for 1x1 layers */
    size_t *y, *h2;      /* y[0..L], h2[0..L) */
    size_t h3, col, r, r2, o2, logits;
    size_t uniform; /* 256 zeros: the logits of the uniform first sub-pixel (--first-pixel uniform) */
    size_t bad; /* [cap] floats: 1 where an image's logits were ever non-finite */
    bbuf *program;               /* sample_step's program (NULL: the step as a chain of ops) */
    volatile sig_atomic_t *stop; /* polled at every sub-pixel (NULL: never) */
};

static size_t take(size_t *cursor, size_t n)
{
    size_t at = *cursor;
    *cursor += n;
    return at;
}

static bview S(const fast_sampler *s, size_t off) { return (bview){s->state, off}; }

/* Elements between images in layer li's input ring. */
static size_t ring_ld(const fast_sampler *s, int li)
{
    return (size_t)s->ring_rows[li] * s->W * s->m->convs[li].cin;
}

/* Layer li's input ring at image 0, row y, column x, channel 0. */
static bview ring_slot(const fast_sampler *s, int li, int y, int x)
{
    size_t at = ((size_t)(y % s->ring_rows[li]) * s->W + x) * s->m->convs[li].cin;
    return S(s, s->ring[li] + at);
}

void fast_sampler_free(fast_sampler *s)
{
    if (!s)
        return;
    s->be->ops->release(s->be, s->state);
    s->be->ops->release(s->be, s->pixels);
    s->be->ops->release(s->be, s->program);
    free(s->ring);
    free(s->y);
    free(s);
}

/* ---- sample_step's program: position_step below, as a list ---------------- */

/* One convolution record: layer li from `in` (ld_in floats between images; a
 * k x k layer reads its ring instead) to `out` (a ring slot of layer out_ring's
 * input when out_ring >= 0). */
static void program_conv(const fast_sampler *s, int32_t *o, int li, size_t in, size_t ld_in, size_t out, size_t ld_out,
                         int out_ring)
{
    const conv_layer *l = &s->m->convs[li];
    o[SO_KIND] = SAMPLE_OP_CONV;
    o[SO_CIN] = l->cin;
    o[SO_COUT] = l->cout;
    o[SO_KH] = l->kh;
    o[SO_KW] = l->kw;
    o[SO_TAPS] = l->taps;
    o[SO_MASK_A] = l->mode == PCNN_MASK_A;
    o[SO_RELU] = l->relu;
    o[SO_W_OFF] = (int32_t)l->w_off;
    o[SO_B_OFF] = (int32_t)l->b_off;
    o[SO_IN_R] = s->ring_rows[li];
    o[SO_IN_OFF] = (int32_t)(s->ring_rows[li] ? s->ring[li] : in);
    o[SO_IN_LD] = (int32_t)(s->ring_rows[li] ? ring_ld(s, li) : ld_in);
    o[SO_OUT_R] = out_ring >= 0 ? s->ring_rows[out_ring] : 0;
    o[SO_OUT_OFF] = (int32_t)(out_ring >= 0 ? s->ring[out_ring] : out);
    o[SO_OUT_LD] = (int32_t)(out_ring >= 0 ? ring_ld(s, out_ring) : ld_out);
}

static void program_add(int32_t *o, int cols, int relu, size_t dst, size_t a, long b, size_t ld)
{
    o[SO_KIND] = SAMPLE_OP_ADD;
    o[SO_ADD_COLS] = cols;
    o[SO_ADD_RELU] = relu;
    o[SO_ADD_DST] = (int32_t)dst;
    o[SO_ADD_A] = (int32_t)a;
    o[SO_ADD_B] = (int32_t)b;
    o[SO_ADD_LD] = (int32_t)ld;
}

/* Builds and uploads the program (position_step's layers, in its order);
 * leaves s->program NULL, so the composed path runs, where an offset would
 * not fit the program's int32 words. */
static pcnn_status load_program(fast_sampler *s)
{
    const pcnn_config *cfg = &s->m->cfg;
    int C = s->C, L = s->L;
    size_t H2 = 2 * (size_t)cfg->hidden_dim * C, Hd = (size_t)cfg->hidden_dim * C, O = (size_t)cfg->out_dim * C;
    size_t floats = s->uniform + 256, params = 0; /* the last of the state */
    if (pcnn_config_param_count(cfg, &params) || floats > INT32_MAX || params > INT32_MAX ||
        (size_t)s->H * s->W * C > INT32_MAX)
        return PCNN_OK;
    int n_ops = 1 + 4 * L + 4;
    size_t words = SS_HEADER_WORDS + (size_t)n_ops * SAMPLE_OP_WORDS;
    int32_t *w = calloc(words, sizeof *w), *o = w + SS_HEADER_WORDS;
    if (!w)
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory for the sampler's program");
    w[SS_N_OPS] = n_ops;
    w[SS_W] = s->W;
    w[SS_C] = C;
    w[SS_IMAGE_BYTES] = s->H * s->W * C;
    w[SS_LOGITS] = (int32_t)s->logits;
    w[SS_LOGITS_LD] = 256 * C;
    w[SS_RING0] = (int32_t)s->ring[0];
    w[SS_RING0_LD] = (int32_t)ring_ld(s, 0);
    w[SS_RING0_R] = s->ring_rows[0];
    w[SS_BAD] = (int32_t)s->bad;
    w[SS_PARAMS] = (int32_t)params;
    program_conv(s, o, model_input_conv_index(), 0, 0, s->y[0], H2, -1);
    o += SAMPLE_OP_WORDS;
    for (int i = 0; i < L; i++) {
        int in = model_block_conv_index(i, BLOCK_CONV_IN), mid = model_block_conv_index(i, BLOCK_CONV_MID),
            out = model_block_conv_index(i, BLOCK_CONV_OUT);
        program_conv(s, o, in, s->y[i], H2, 0, 0, mid);
        program_conv(s, o + SAMPLE_OP_WORDS, mid, 0, 0, s->h2[i], Hd, -1);
        program_conv(s, o + 2 * SAMPLE_OP_WORDS, out, s->h2[i], Hd, s->h3, H2, -1);
        program_add(o + 3 * SAMPLE_OP_WORDS, (int)(H2 / C), 0, s->y[i + 1], s->y[i], (long)s->h3, H2);
        o += 4 * SAMPLE_OP_WORDS;
    }
    program_add(o, (int)(H2 / C), 1, s->r, s->y[L], -1, H2);
    program_conv(s, o + SAMPLE_OP_WORDS, model_head_conv_index(s->m, HEAD_OUTPUT_CONV1), s->r, H2, s->r2, O, -1);
    program_conv(s, o + 2 * SAMPLE_OP_WORDS, model_head_conv_index(s->m, HEAD_OUTPUT_CONV2), s->r2, O, s->o2, O, -1);
    program_conv(s, o + 3 * SAMPLE_OP_WORDS, model_head_conv_index(s->m, HEAD_FINAL_CONV), s->o2, O, s->logits,
                 (size_t)256 * C, -1);
    backend *be = s->be;
    s->program = be->ops->alloc(be, words * sizeof *w, "the sampler's program");
    pcnn_status st = s->program ? be->ops->write(be, s->program, 0, w, words * sizeof *w) : PCNN_ERR_MEMORY;
    free(w);
    return st;
}

size_t fast_sampler_floats_per_image(const pcnn_model *m, int H, int W)
{
    const pcnn_config *cfg = &m->cfg;
    int C = cfg->channels, L = cfg->n_layers;
    size_t H2 = 2 * (size_t)cfg->hidden_dim * C, Hd = (size_t)cfg->hidden_dim * C, O = (size_t)cfg->out_dim * C;
    size_t floats = 0, col = 0;
    for (int li = 0; li < m->n_convs; li++) { /* as fast_sampler_create lays them out */
        const conv_layer *l = &m->convs[li];
        if (l->kh * l->kw == 1)
            continue;
        size_t rows = (size_t)(l->kh / 2 + 1 < H ? l->kh / 2 + 1 : H);
        floats += rows * (size_t)W * l->cin;
        if (conv_col_width(l) > col)
            col = conv_col_width(l);
    }
    return floats + (size_t)(L + 1) * H2 + (size_t)L * Hd + 2 * H2 + col + 2 * O + 256 * (size_t)C + 1;
}

pcnn_status fast_sampler_create(pcnn_model *m, int n, int H, int W, fast_sampler **out)
{
    *out = NULL;
    if (n < 1 || H < 1 || W < 1)
        return pcnn_fail(PCNN_ERR_ARG, "sample: batch shape %dx%dx%d must be positive", n, H, W);
    if (!sample_supported(m->be))
        return pcnn_fail(PCNN_ERR_DEVICE, "sample: device '%s' lacks the sampling ops", m->be->name);
    const pcnn_config *cfg = &m->cfg;
    int C = cfg->channels, L = cfg->n_layers, nc = m->n_convs;
    size_t H2 = 2 * (size_t)cfg->hidden_dim * C, Hd = (size_t)cfg->hidden_dim * C, O = (size_t)cfg->out_dim * C;
    fast_sampler *s = calloc(1, sizeof *s);
    if (s) {
        s->m = m;
        s->be = m->be;
        s->ring = calloc((size_t)nc, sizeof *s->ring + sizeof *s->ring_rows);
        s->y = malloc(sizeof(size_t) * (2 * (size_t)L + 1));
    }
    if (!s || !s->ring || !s->y) {
        fast_sampler_free(s);
        return pcnn_fail(PCNN_ERR_MEMORY, "out of memory creating the sampler");
    }
    s->ring_rows = (int *)(s->ring + nc);
    s->h2 = s->y + L + 1;
    s->cap = n;
    s->H = H;
    s->W = W;
    s->C = C;
    s->L = L;

    size_t a = 0, col = 0;
    for (int li = 0; li < nc; li++) {
        const conv_layer *l = &m->convs[li];
        if (l->kh * l->kw == 1)
            continue;
        s->ring_rows[li] = l->kh / 2 + 1;
        if (s->ring_rows[li] > H) /* rows above the image are never read */
            s->ring_rows[li] = H;
        s->ring[li] = take(&a, (size_t)n * ring_ld(s, li));
        if (conv_col_width(l) > col)
            col = conv_col_width(l);
        /* gemm takes int strides: the ring's image stride is its ldc. */
        if (ring_ld(s, li) > INT_MAX || (size_t)H * W * 256 * C > INT_MAX) {
            fast_sampler_free(s);
            return pcnn_fail(PCNN_ERR_ARG, "sample: %dx%d images are too wide for the sampler's caches", H, W);
        }
    }
    for (int i = 0; i <= L; i++)
        s->y[i] = take(&a, (size_t)n * H2);
    for (int i = 0; i < L; i++)
        s->h2[i] = take(&a, (size_t)n * Hd);
    s->h3 = take(&a, (size_t)n * H2);
    s->col = take(&a, (size_t)n * col);
    s->r = take(&a, (size_t)n * H2);
    s->r2 = take(&a, (size_t)n * O);
    s->o2 = take(&a, (size_t)n * O);
    s->logits = take(&a, (size_t)n * 256 * C);
    s->bad = take(&a, (size_t)n);
    s->uniform = take(&a, 256);
    /* Zeroed by alloc: groups not yet computed hold finite values (zeros, or
     * stale ones from an earlier row or batch), which are never read anyway. */
    s->state = s->be->ops->alloc(s->be, a * sizeof(float), "the sampler's caches");
    s->pixels = s->state ? s->be->ops->alloc(s->be, (size_t)n * H * W * C, "the sampled images") : NULL;
    if (!s->pixels) {
        fast_sampler_free(s);
        return PCNN_ERR_MEMORY;
    }
    if (s->be->ops->sample_step && load_program(s)) {
        fast_sampler_free(s);
        return PCNN_ERR_MEMORY;
    }
    *out = s;
    return PCNN_OK;
}

/* Layer li at (y, x) for output group g of n images: out[i, g*go + j] for
 * j < go, rows ld_out apart. `in` is the input at this position [n, cin] (rows
 * ld_in apart), or unused for k x k layers, which gather from their ring. */
static pcnn_status layer_step(fast_sampler *s, int li, int n, bview in, size_t ld_in, int y, int x, int g,
                              bview out, size_t ld_out)
{
    const conv_layer *l = &s->m->convs[li];
    backend *be = s->be;
    const backend_ops *o = be->ops;
    int go = l->cout / s->C, gi = l->cin / s->C;
    int k = (l->taps - 1) * l->cin + (l->mode == PCNN_MASK_A ? g : g + 1) * gi;
    bview a = in;
    size_t lda = ld_in;
    if (s->ring_rows[li]) {
        a = S(s, s->col);
        lda = (size_t)l->taps * l->cin;
        TRY(o->gather_taps(be, a, S(s, s->ring[li]), n, s->ring_rows[li], s->W, l->cin, l->kh, l->kw, l->taps, y,
                           x));
    }
    bview p = model_params(s->m), dst = bview_at(out, (size_t)g * go), bias = bview_at(p, l->b_off + (size_t)g * go);
    if (k == 0) /* the mask cuts every input of this group: only the bias */
        return o->add_act_2d(be, dst, ld_out, bias, 0, (bview){NULL, 0}, 0, (size_t)n, go, l->relu);
    TRY(o->gemm(be, 0, 0, n, go, k, 1.0f, a, (int)lda, bview_at(p, l->w_off + (size_t)g * go), l->cout, 0.0f, dst,
                (int)ld_out));
    return o->add_act_2d(be, dst, ld_out, dst, ld_out, bias, 0, (size_t)n, go, l->relu);
}

/* The whole network at (y, x) for colour g; leaves the logits of group g in
 * s->logits columns [g*256, (g+1)*256). Mirrors forward() in model_pass.c. */
static pcnn_status position_step(fast_sampler *s, int n, int y, int x, int g)
{
    backend *be = s->be;
    const backend_ops *o = be->ops;
    const pcnn_config *cfg = &s->m->cfg;
    int C = s->C, L = s->L;
    size_t H2 = 2 * (size_t)cfg->hidden_dim * C, Hd = (size_t)cfg->hidden_dim * C, O = (size_t)cfg->out_dim * C;
    size_t gy = g * H2 / C; /* group g's first column in y */
    bview none = {NULL, 0};
    TRY(layer_step(s, model_input_conv_index(), n, none, 0, y, x, g, S(s, s->y[0]), H2));
    for (int i = 0; i < L; i++) {
        /* conv_mid reads conv_in's output from its ring */
        int in = model_block_conv_index(i, BLOCK_CONV_IN), mid = model_block_conv_index(i, BLOCK_CONV_MID),
            out = model_block_conv_index(i, BLOCK_CONV_OUT);
        TRY(layer_step(s, in, n, S(s, s->y[i]), H2, y, x, g, ring_slot(s, mid, y, x), ring_ld(s, mid)));
        TRY(layer_step(s, mid, n, none, 0, y, x, g, S(s, s->h2[i]), Hd));
        TRY(layer_step(s, out, n, S(s, s->h2[i]), Hd, y, x, g, S(s, s->h3), H2));
        TRY(o->add_act_2d(be, S(s, s->y[i + 1] + gy), H2, S(s, s->y[i] + gy), H2, S(s, s->h3 + gy), H2, (size_t)n,
                          (int)(H2 / C), 0));
    }
    int out1 = model_head_conv_index(s->m, HEAD_OUTPUT_CONV1), out2 = model_head_conv_index(s->m, HEAD_OUTPUT_CONV2),
        final = model_head_conv_index(s->m, HEAD_FINAL_CONV);
    TRY(o->add_act_2d(be, S(s, s->r + gy), H2, S(s, s->y[L] + gy), H2, none, 0, (size_t)n, (int)(H2 / C), 1));
    TRY(layer_step(s, out1, n, S(s, s->r), H2, y, x, g, S(s, s->r2), O)); /* its ReLU included */
    TRY(layer_step(s, out2, n, S(s, s->r2), O, y, x, g, S(s, s->o2), O));
    return layer_step(s, final, n, S(s, s->o2), O, y, x, g, S(s, s->logits), (size_t)256 * C);
}

void fast_sampler_set_stop(fast_sampler *s, volatile sig_atomic_t *stop) { s->stop = stop; }

pcnn_status fast_sampler_run(fast_sampler *s, int n, uint64_t seed, uint32_t image_base, float inv_temperature,
                             int uniform_first, long max_steps, uint8_t *out_images)
{
    if (n < 1 || n > s->cap)
        return pcnn_fail(PCNN_ERR_ARG, "sample: batch of %d images for a sampler sized for %d", n, s->cap);
    backend *be = s->be;
    int H = s->H, W = s->W, C = s->C;
    size_t image_bytes = (size_t)H * W * C;
    if (max_steps >= 0) { /* a partial run leaves zeros after the last drawn sub-pixel */
        memset(out_images, 0, (size_t)n * image_bytes);
        TRY(be->ops->write(be, s->pixels, 0, out_images, (size_t)n * image_bytes));
    }
    TRY(be->ops->fill(be, S(s, s->bad), (size_t)n, 0.0f));
    TRY(be->ops->fill(be, S(s, s->uniform), 256, 0.0f));
    long step = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int g = 0; g < C; g++, step++) {
                if (max_steps >= 0 && step >= max_steps)
                    goto done;
                TRY(sample_poll_stop(s->stop));
                int uniform = uniform_first && step == 0; /* the same 256 zeros for every image */
                if (s->program) {
                    /* the whole step and the draw in one launch (the uniform first draw apart) */
                    TRY(be->ops->sample_step(be, (bview){s->program, 0}, S(s, 0), model_params(s->m),
                                             (bview){s->pixels, 0}, n, seed, image_base, y, x, g, inv_temperature,
                                             !uniform));
                    if (!uniform)
                        continue;
                } else {
                    TRY(position_step(s, n, y, x, g)); /* also at step 0: the caches need it */
                }
                bview px = {s->pixels, ((size_t)y * W + x) * C + g};
                TRY(be->ops->sample_draw(be, px, image_bytes, bview_at(ring_slot(s, 0, y, x), (size_t)g), ring_ld(s, 0),
                                         S(s, uniform ? s->uniform : s->logits + (size_t)g * 256),
                                         uniform ? 0 : (size_t)256 * C, n, seed, image_base, y, x, g, inv_temperature,
                                         S(s, s->bad)));
            }
done:
    TRY(sample_check_finite(be, S(s, s->bad), n, image_base));
    return be->ops->read(be, s->pixels, 0, out_images, (size_t)n * image_bytes);
}

pcnn_status fast_sampler_teacher(fast_sampler *s, const uint8_t *images, float *logits)
{
    backend *be = s->be;
    int n = s->cap, H = s->H, W = s->W, C = s->C;
    size_t image_bytes = (size_t)H * W * C, row = (size_t)256 * C;
    TRY(be->ops->write(be, s->pixels, 0, images, (size_t)n * image_bytes));
    bbuf *given = be->ops->alloc(be, (size_t)n * image_bytes * sizeof(float), "the teacher images");
    float *step_logits = malloc((size_t)n * row * sizeof(float));
    pcnn_status st = given && step_logits ? PCNN_OK : pcnn_fail(PCNN_ERR_MEMORY, "out of memory for teacher forcing");
    if (!st)
        st = be->ops->pixels_to_input(be, (bview){given, 0}, (bview){s->pixels, 0}, (size_t)n * image_bytes);
    for (int y = 0; y < H && !st; y++)
        for (int x = 0; x < W && !st; x++) {
            for (int g = 0; g < C && !st; g++) {
                st = s->program ? be->ops->sample_step(be, (bview){s->program, 0}, S(s, 0), model_params(s->m),
                                                       (bview){s->pixels, 0}, n, 0, 0, y, x, g, 1.0f, 0)
                                : position_step(s, n, y, x, g);
                /* Instead of a draw: the given sub-pixel goes into the input ring. */
                if (!st)
                    st = be->ops->add_act_2d(be, bview_at(ring_slot(s, 0, y, x), (size_t)g), ring_ld(s, 0),
                                             (bview){given, ((size_t)y * W + x) * C + g}, image_bytes,
                                             (bview){NULL, 0}, 0, (size_t)n, 1, 0);
            }
            if (!st)
                st = be->ops->read(be, s->state, s->logits * sizeof(float), step_logits,
                                   (size_t)n * row * sizeof(float));
            for (int i = 0; i < n && !st; i++)
                memcpy(logits + (((size_t)i * H + y) * W + x) * row, step_logits + (size_t)i * row,
                       row * sizeof(float));
        }
    free(step_logits);
    be->ops->release(be, given);
    return st;
}
