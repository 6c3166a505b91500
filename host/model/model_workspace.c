/* The activations workspace: its layout for a batch shape, and its buffers. */
#include "model/model_workspace.h"

#include <stdlib.h>
#include <string.h>

void workspace_release(backend *be, workspace *ws)
{
    be->ops->release(be, ws->pixels);
    be->ops->release(be, ws->act);
    be->ops->release(be, ws->loss);
    free(ws->y);
    free(ws->loss_host);
    memset(ws, 0, sizeof *ws);
}

/* Hands out consecutive offsets. */
static size_t take(size_t *cursor, size_t n)
{
    size_t at = *cursor;
    *cursor += n;
    return at;
}

/* The widest im2col row a layer's forward (or its backward to the input:
 * every layer but the first) writes on this backend. */
static size_t max_col_width(backend *be, const conv_layer *convs, int n_convs, int backward)
{
    size_t w = 0;
    for (int i = backward ? 1 : 0; i < n_convs; i++) {
        size_t wi = conv_im2col_width(be, &convs[i]);
        w = wi > w ? wi : w;
    }
    return w;
}

pcnn_status workspace_prepare(workspace *ws, backend *be, const pcnn_config *cfg, const conv_layer *convs, int n_convs,
                              size_t rows, int train)
{
    if (ws->act && ws->rows >= rows && ws->train >= train)
        return PCNN_OK;
    workspace_release(be, ws);
    int L = cfg->n_layers, C = cfg->channels;
    size_t H2 = 2 * (size_t)cfg->hidden_dim * C, Hd = (size_t)cfg->hidden_dim * C, O = (size_t)cfg->out_dim * C;
    ws->rows = rows;
    ws->train = train;
    ws->y = malloc(sizeof(size_t) * (4 * (size_t)L + 1));
    ws->loss_host = malloc(rows * C * sizeof(float));
    if (!ws->y || !ws->loss_host)
        return pcnn_fail(PCNN_ERR_MEMORY,
                         "out of host memory for the per-sub-pixel losses (%.1f MiB): " BACKEND_REDUCE_HINT,
                         (double)(rows * C * sizeof(float)) / (1 << 20));
    ws->h1 = ws->y + L + 1;
    ws->h2 = ws->h1 + L;
    ws->h3 = ws->h2 + L;

    size_t a = 0;
    ws->x0 = take(&a, rows * C);
    ws->col = take(&a, rows * max_col_width(be, convs, n_convs, 0));
    ws->y[0] = take(&a, rows * H2);
    for (int i = 0; i < L; i++) {
        /* Training keeps every block's activations for backward; eval reuses one set. */
        int keep = train || i == 0;
        ws->y[i + 1] = train ? take(&a, rows * H2) : ws->y[0];
        ws->h1[i] = keep ? take(&a, rows * Hd) : ws->h1[0];
        ws->h2[i] = keep ? take(&a, rows * Hd) : ws->h2[0];
        ws->h3[i] = keep ? take(&a, rows * H2) : ws->h3[0];
    }
    ws->r = ws->y[L];
    ws->r2 = take(&a, rows * O);
    ws->o2 = take(&a, rows * O);
    ws->logits = take(&a, rows * 256 * C);
    if (train) {
        size_t g = ws->logits;
        ws->d_o2 = ws->o2;
        ws->d_o1 = take(&g, rows * O);
        ws->d_y = take(&g, rows * H2);
        ws->d_h3 = take(&g, rows * H2);
        ws->d_h2 = take(&g, rows * Hd);
        ws->d_h1 = take(&g, rows * Hd);
        ws->d_col = take(&g, rows * max_col_width(be, convs, n_convs, 1));
        a = g > a ? g : a;
    }
    ws->pixels = be->ops->alloc(be, rows * C, "the input images");
    ws->act = ws->pixels ? be->ops->alloc(be, a * sizeof(float), "the activations") : NULL;
    ws->loss = ws->act ? be->ops->alloc(be, rows * C * sizeof(float), "the per-sub-pixel losses") : NULL;
    if (!ws->loss) {
        workspace_release(be, ws); /* the message stays: the alloc named the tensor and what to reduce */
        return PCNN_ERR_MEMORY;
    }
    return PCNN_OK;
}
