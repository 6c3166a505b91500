/* A model's anatomy, counted from its own layer list: per layer the
 * parameters (stored and live), the multiply-adds per image (dense, live, and
 * what pcnn-cl's GEMM over the live taps computes), the receptive field of
 * the output, and the device memory one training step needs. Used by
 * `pcnn-cl summary`, its tests and (later) the benchmark. */
#ifndef PCNN_MODEL_SUMMARY_H
#define PCNN_MODEL_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "model/model_receptive_field.h"
#include "pcnn/model.h"

typedef struct {
    char name[32];
    int kh, kw, cin, cout;
    char mode;     /* 'A' or 'B' */
    int live_taps; /* taps the mask keeps (the centre counts, even when it is partly cut) */
    uint64_t params;        /* kh*kw*cin*cout (dead taps are stored, as zeros) + cout biases */
    uint64_t live_params;   /* kernel entries the mask keeps + cout biases */
    uint64_t macs_dense;    /* per image: kh*kw*cin*cout*H*W, a plain conv with the full kernel */
    uint64_t macs_live;     /* per image: kept kernel entries * H*W, the work the mask leaves */
    uint64_t macs_computed; /* per image: live_taps*cin*cout*H*W, what the im2col GEMM multiplies */
} layer_summary;

/* Device bytes of one training step, from the layout of host/model/model_pass.c.
 * need is what any implementation must hold (weights, gradients, Adam's
 * moments, the activations backward reads); total adds our working space. */
typedef struct {
    uint64_t weights, gradients, optimiser; /* optimiser: Adam's two moments */
    uint64_t activations;      /* kept for backward: every layer's input and ReLU output, the logits */
    uint64_t im2col;           /* the im2col buffer, shared by every k x k layer */
    uint64_t gradient_spill;   /* activation gradients beyond the space the logits free */
    uint64_t pixels_and_losses;
    uint64_t need, total;
} train_memory;

typedef struct {
    pcnn_config cfg; /* with the height and width the counts are for */
    int batch;
    int n_layers;
    layer_summary *layers;
    uint64_t params, live_params, macs_dense, macs_live, macs_computed;
    receptive_field field[3]; /* per output colour */
    train_memory memory;
} model_summary;

/* Counts for images of height x width and training batches of `batch`. */
pcnn_status model_summary_compute(const pcnn_model *m, int height, int width, int batch, model_summary *out);
void model_summary_free(model_summary *s);

/* The device memory a training step over `rows` = B*H*W positions takes. */
train_memory model_train_memory(const pcnn_model *m, uint64_t rows);

#endif
