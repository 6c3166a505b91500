/* The one seam between the math and the devices.
 *
 * A backend is a table of operations over device buffers. The model, the
 * optimiser, training and sampling are written once against this table; each
 * device family (native CPU, OpenCL) implements it. Nothing above this header
 * includes OpenCL or BLAS headers.
 *
 * Conventions:
 * - A view is a buffer plus an element offset; the element type (float or
 *   uint8) is fixed by the operation. Float tensors are row-major, activations
 *   NHWC, so an activation is a matrix [rows = B*H*W, cols = channels].
 * - Operations are queued in order; read() waits for everything before it.
 * - Every operation returns a status; a failure sets the message.
 * - ReLU, wherever an operation applies it: relu(v) = v <= 0 ? +0 : v, so a
 *   NaN passes through (never hidden as 0) and reaches the loss's check. */
#ifndef PCNN_BACKEND_H
#define PCNN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "pcnn/error.h"

typedef struct bbuf bbuf; /* a device buffer; defined by each backend */

typedef struct {
    bbuf *buf;
    size_t off; /* in elements of the operation's type */
} bview;

static inline bview bview_at(bview v, size_t elements) { return (bview){v.buf, v.off + elements}; }

typedef struct backend backend;

/* The columns of a masked product come in segments: segment s covers columns
 * [end[s-1], end[s]) (end[-1] = 0), and each of its columns sums over the
 * inner index k in [lo[s], hi[s]) only. A masked convolution is one such
 * product: forward, output group g reads the prefix [0, K_g); backward to the
 * input, column k reads the output groups whose prefix covers k. */
enum { GEMM_MAX_SEGMENTS = 8 };
typedef struct {
    int count;
    int end[GEMM_MAX_SEGMENTS], lo[GEMM_MAX_SEGMENTS], hi[GEMM_MAX_SEGMENTS];
} gemm_segments;

/* A masked product's A operand read through a convolution's im2col (see
 * im2col below) instead of from a matrix: A[(b,y,x), t*cin + c] =
 * in[b, y + dy_t, x + dx_t, c], 0 outside the image. The view passed as A is
 * `in`, and lda is ignored. Saves writing and reading the im2col matrix.
 *
 * transposed: the input gradient of that convolution, computed as one
 * product with no im2col matrix and no col2im. A is its output gradient dY
 * (cin = the convolution's cout channels) read at (y - dy_t, x - dx_t), taps
 * in the order centre first, then tap 0, 1, ...: A[q, t'*cin + o]. B is the
 * convolution's kernel as masked_gemm's B [taps*n, cin] with n its input
 * channels, read as op(B)[t'*cin + o, c] = B[(t*n + c)*ldb + o] (trans_b
 * ignored). Centre first makes each output column's live range contiguous. */
typedef struct {
    int B, H, W, cin, kh, kw, taps;
    int transposed;
} gemm_gather;

typedef struct {
    void (*destroy)(backend *be);

    /* Memory. `what` names the tensor in error messages ("activations of res.3"). */
    bbuf *(*alloc)(backend *be, size_t bytes, const char *what);
    void (*release)(backend *be, bbuf *buf);
    pcnn_status (*write)(backend *be, bbuf *dst, size_t offset_bytes, const void *src, size_t bytes);
    pcnn_status (*read)(backend *be, bbuf *src, size_t offset_bytes, void *dst, size_t bytes);

    /* x[0..n) = value */
    pcnn_status (*fill)(backend *be, bview x, size_t n, float value);
    /* dst[0..n) = src[0..n) */
    pcnn_status (*copy)(backend *be, bview dst, bview src, size_t n);

    /* Row-major C[m,n] = alpha * op(A) op(B) + beta * C, op = transpose if trans_*. */
    pcnn_status (*gemm)(backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                        bview a, int lda, bview b, int ldb, float beta, bview c, int ldc);

    /* Optional (NULL: model_conv.c uses gemm and bias_act). The masked product with
     * its epilogue, for r < m, j < n:
     *   C[r, j] = act(sum over k in range(j) of A[r, k] op(B)[k, j] + bias[j])  (+ C[r, j] if accumulate)
     * op(B)[k, j] = B[j*ldb + k] if trans_b else B[k*ldb + j]; bias.buf NULL adds
     * none; act = ReLU if relu (with accumulate: a residual connection, C
     * added after the act). gather: see gemm_gather; only passed to a backend
     * that sets `gathers`. */
    pcnn_status (*masked_gemm)(backend *be, int m, int n, bview a, int lda, const gemm_gather *gather, bview b,
                               int ldb, int trans_b, const gemm_segments *seg, bview bias, int relu, int accumulate,
                               bview c, int ldc);

    /* The final layer and the loss in one pass (fused: each block of rows
     * goes through softmax_xent while its logits are still in cache): the
     * logits [m, n] (ldc = n) are masked_gemm's with bias and no act, then
     * softmax_xent over the m * n / 256 rows of 256 classes. */
    pcnn_status (*masked_gemm_xent)(backend *be, int m, int n, bview a, int lda, bview b, int ldb,
                                    const gemm_segments *seg, bview bias, bview logits, bview targets, bview loss,
                                    int want_grad, float grad_scale);

    /* masked_gemm's weight gradient, for k < K, j < n:
     *   C[k, j] = sum over r < m of A[r, k] B[r, j]  if k is in range(j), else 0. */
    pcnn_status (*masked_gemm_tn)(backend *be, int K, int n, int m, bview a, int lda, const gemm_gather *gather,
                                  bview b, int ldb, const gemm_segments *seg, bview c, int ldc);

    /* Masked-conv im2col over the live taps (the first `taps` taps of a kh x kw
     * kernel in row-major order), zero padding 'same':
     * col[(b,y,x), t*cin + ci] = in[b, y + dy_t, x + dx_t, ci]  (0 outside),
     * dy_t = t / kw - kh/2, dx_t = t % kw - kw/2.  col is [B*H*W, taps*cin]. */
    pcnn_status (*im2col)(backend *be, bview col, bview in, int B, int H, int W, int cin, int kh, int kw,
                          int taps);
    /* The adjoint of im2col: din (+)= sum over taps of dcol scattered back.
     * Overwrites din unless accumulate. */
    pcnn_status (*col2im)(backend *be, bview din, bview dcol, int B, int H, int W, int cin, int kh, int kw,
                          int taps, int accumulate);

    /* y[r, c] = act(y[r, c] + bias[c]), act = ReLU if relu. y is [rows, cols]. */
    pcnn_status (*bias_act)(backend *be, bview y, bview bias, size_t rows, int cols, int relu);
    /* dbias[c] = sum_r dy[r, c] (overwrites). */
    pcnn_status (*bias_grad)(backend *be, bview dbias, bview dy, size_t rows, int cols);
    /* dst = relu(src) */
    pcnn_status (*relu)(backend *be, bview dst, bview src, size_t n);
    /* dy *= (y > 0): the ReLU backward, with y the ReLU's output or input. */
    pcnn_status (*relu_backward)(backend *be, bview dy, bview y, size_t n);
    /* y += x (residual connections, gradient accumulation) */
    pcnn_status (*add)(backend *be, bview y, bview x, size_t n);

    /* Zeroes the centre-tap weights that the colour mask cuts (i -> o with
     * group(i) > group(o), or >= for mode A) in an HWIO kernel. */
    pcnn_status (*mask_centre)(backend *be, bview w, int kh, int kw, int cin, int cout, int colours,
                               int mode);

    /* x[i] = pixels[i] / 255 (pixels: uint8 view). */
    pcnn_status (*pixels_to_input)(backend *be, bview x, bview pixels, size_t n);

    /* Fused softmax cross-entropy over rows of `classes` logits with uint8
     * targets: loss[r] = logsumexp(z[r]) - z[r, t[r]] (nats). If want_grad, z is
     * overwritten with grad_scale * (softmax(z[r]) - onehot(t[r])). */
    pcnn_status (*softmax_xent)(backend *be, bview logits, bview targets, bview loss, size_t rows,
                                int classes, int want_grad, float grad_scale);

    /* --- Sampling (host/sample/sample_fast.c, host/sample/sample_naive.c) --- */

    /* Strided elementwise over a [rows, cols] block:
     *   dst[r*ld_dst + c] = act(a[r*ld_a + c] + b[r*ld_b + c]),  act = ReLU if relu.
     * b.buf == NULL adds nothing; ld_b == 0 (or ld_a == 0) broadcasts one row,
     * which makes this a strided bias + activation. dst may alias a or b
     * element for element (each element is read before it is written). */
    pcnn_status (*add_act_2d)(backend *be, bview dst, size_t ld_dst, bview a, size_t ld_a, bview b, size_t ld_b,
                              size_t rows, int cols, int relu);

    /* im2col at one position (y, x) for n images, reading a ring of rows: ring
     * is [n, R, W, cin] and holds image row yy in slot yy % R (R = kh/2 + 1, or
     * the image height if that is less: the rows a tap reaches never share a slot).
     *   col[i, t*cin + c] = ring[i, (y + dy_t) % R, x + dx_t, c]
     *                       if y + dy_t >= 0 and 0 <= x + dx_t < W, else 0,
     * for the first `taps` taps, dy_t = t / kw - kh/2 (<= 0), dx_t = t % kw - kw/2.
     * col is [n, taps*cin]. */
    pcnn_status (*gather_taps)(backend *be, bview col, bview ring, int n, int R, int W, int cin, int kh, int kw,
                               int taps, int y, int x);

    /* Draws sub-pixel (y, x, colour) of images image_base + i, i < n, from
     * softmax(logits_i * inv_temperature), logits_i = logits[i*ld_logits + v],
     * v < 256. The uniform u = w0 * 2^-32 comes from rng_sample_block()
     * (host/base/base_rng.h: Philox4x32-10, key seed, counter (image, y, x, tag|colour)).
     * The inversion, in this exact order so that every device makes the same
     * choice given the same logits:
     *   m = max_v z_v;  e_v = exp((double)(z_v - m) * inv_temperature)  (z_v - m in float)
     *   S = e_0 + ... + e_255 summed in order;  t = u * S
     *   value = the first v with t < e_0 + ... + e_v  (else the last v with e_v > 0)
     * in double precision (an OpenCL device without fp64 may use float, with u
     * from w0's top 24 bits so that u < 1: then a choice can differ from the
     * CPU's only when t falls within float rounding of a partial sum, about 1e-6
     * of draws; in double about 1e-15).
     * Writes pixels[i*pixel_stride] = value (uint8 view) and, if input.buf,
     * input[i*input_stride] = value / 255.0f (the model's input for it).
     * If bad.buf: bad[i] = 1 when one of logits_i is NaN or infinite (a
     * broken model: the value drawn is then meaningless), else bad[i] is left
     * as it was, so a sampler reads the flags once at the end. */
    pcnn_status (*sample_draw)(backend *be, bview pixels, size_t pixel_stride, bview input, size_t input_stride,
                               bview logits, size_t ld_logits, int n, uint64_t seed, uint32_t image_base, int y, int x,
                               int colour, float inv_temperature, bview bad);

    /* Optional (NULL: the sampler composes the step of the ops above, as
     * either backend does with the device option sample_composed): the fast sampler's whole step at (y, x), colour g,
     * in one launch. `program` (int32 words, laid out as enum sample_step_word says) lists the network's layers in
     * order over `state` (the sampler's float caches) and `params`; each image's step is computed as
     * host/sample/sample_fast.c's composed path computes it, every output
     * element summed over its inputs in order (k = 0, 1, ...; fused
     * multiply-adds where the device has them), then + bias, then ReLU.
     * Then, if draw, sample_draw's draw for each of the n images (logits,
     * pixels, the input ring and bad flags where the program's header
     * says). Images are independent: one work-group per image or per few
     * images. */
    pcnn_status (*sample_step)(backend *be, bview program, bview state, bview params, bview pixels, int n,
                               uint64_t seed, uint32_t image_base, int y, int x, int g, float inv_temperature,
                               int draw);

    /* Keras Adam over n parameters (step_size = lr_t * sqrt(1-b2^t) / (1-b1^t)):
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= step_size * m / (sqrt(v) + eps). */
    pcnn_status (*adam)(backend *be, bview w, bview g, bview m, bview v, size_t n, float step_size,
                        float beta1, float beta2, float eps);
    /* Keras RMSProp: v = rho v + (1-rho) g^2; w -= lr g / (sqrt(v) + eps). */
    pcnn_status (*rmsprop)(backend *be, bview w, bview g, bview v, size_t n, float lr, float rho, float eps);

    /* Waits for all queued work (for timing). */
    pcnn_status (*finish)(backend *be);
} backend_ops;

/* sample_step's program: a header, then one record of SAMPLE_OP_WORDS words
 * per operation, run in order. Offsets and strides are in floats, into the
 * state (or, for weights and biases, the params) view. */
enum sample_step_word {
    /* header */
    SS_N_OPS,
    SS_W,
    SS_C,
    SS_IMAGE_BYTES, /* H*W*C: between images in pixels */
    SS_LOGITS,      /* the final layer's output: [n, 256*C] */
    SS_LOGITS_LD,
    SS_RING0, /* input_conv's input ring, where the draw writes value / 255 */
    SS_RING0_LD,
    SS_RING0_R,
    SS_BAD,    /* [n] flags of non-finite logits */
    SS_PARAMS, /* floats in params: a kernel may read no further */
    SS_HEADER_WORDS = 16,
    /* every record: */
    SO_KIND = 0, /* SAMPLE_OP_CONV or SAMPLE_OP_ADD */
    /* SAMPLE_OP_CONV: out[img, g*go + j] = act(bias + sum_k in[img, k] w[k, g*go + j]), go = cout/C,
     * k < (taps-1)*cin + (g or g+1 for mask B)*cin/C; in_r > 0: the input is a
     * ring [n, in_r, W, cin] read at the live taps (gather_taps), else a vector
     * [n, in_ld]; out_r > 0: the output is the ring slot (y % out_r, x) of
     * such a ring, else a vector [n, out_ld]. */
    SO_CIN = 1,
    SO_COUT,
    SO_KH,
    SO_KW,
    SO_TAPS,
    SO_MASK_A,
    SO_RELU,
    SO_W_OFF,
    SO_B_OFF,
    SO_IN_OFF,
    SO_IN_LD,
    SO_IN_R,
    SO_OUT_OFF,
    SO_OUT_LD,
    SO_OUT_R,
    /* SAMPLE_OP_ADD: dst[img, g*cols + c] = act(a[..] + b[..]) (b_off < 0: a alone), c < cols. */
    SO_ADD_COLS = 1,
    SO_ADD_RELU,
    SO_ADD_DST,
    SO_ADD_A,
    SO_ADD_B,
    SO_ADD_LD,
    SAMPLE_OP_WORDS = 16
};
enum { SAMPLE_OP_CONV = 1, SAMPLE_OP_ADD = 2 };

struct backend {
    const backend_ops *ops;
    char name[128];      /* "CPU (OpenBLAS, 2 threads)", "pthread-haswell (PoCL 3.1)" */
    size_t bytes_in_use; /* device bytes allocated now, and the peak */
    size_t bytes_peak;
    int gathers; /* masked_gemm and masked_gemm_tn take a gemm_gather: no im2col matrix needed */
    bbuf *generic_scratch; /* host/backend/backend_generic.c's, grown on demand */
    size_t generic_scratch_floats;
};

/* The native CPU backend (always available); sample_composed: without
 * sample_step, so the fast sampler composes its step of the other ops (tests). */
backend *backend_cpu_create(int sample_composed);

/* The end of every allocation failure message: the flags that shrink the
 * tensors (train, eval, sample and bench all take --batch). */
#define BACKEND_REDUCE_HINT "reduce --batch, or the model (--preset, --hidden-dim, --out-dim, --layers)"

/* Accounting shared by every backend's alloc/release. */
static inline void backend_note_alloc(backend *be, size_t bytes)
{
    be->bytes_in_use += bytes;
    if (be->bytes_in_use > be->bytes_peak)
        be->bytes_peak = be->bytes_in_use;
}

#endif
