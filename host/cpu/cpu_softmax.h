/* The CPU backend's softmax cross-entropy; the contract is softmax_xent's in
 * backend.h: loss[r] = logsumexp(z[r]) - z[r, t[r]] (nats); with want_grad, z
 * becomes grad_scale * (softmax(z[r]) - onehot(t[r])). Runs on the calling
 * thread (the backend cuts the rows into tasks). */
#ifndef PCNN_CPU_SOFTMAX_H
#define PCNN_CPU_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

void cpu_softmax_xent(float *z, const uint8_t *t, float *loss, size_t rows, int classes, int want_grad,
                      float grad_scale);

#endif
