/* The weights interchange formats: a directory, or one NumPy .npz file, of
 * config.txt, manifest.txt and one .npy per tensor, named as the model's
 * tensors (input_conv.kernel.npy, res.0.conv_in.bias.npy, ...), kernels raw
 * HWIO float32 [kh, kw, f_in, f_out]. This is how weights move to and from
 * NumPy, TensorFlow and PyTorch (tools/pcnn_torch.py). In a .npz the same
 * files are the archive's entries (stored, as np.savez writes them), so
 * np.load(f)["final_conv.kernel"] is that tensor and np.load(f)["config.txt"]
 * the config's bytes.
 *
 * manifest.txt (host/model/model_weights_manifest.h) records the checkpoint
 * step and each file's shape and CRC32; when it is present, import refuses a
 * file that does not match it, naming the file (a directory mixing two
 * exports, an edited tensor: delete manifest.txt to import edited weights). */
#ifndef PCNN_WEIGHTS_DIR_H
#define PCNN_WEIGHTS_DIR_H

#include <signal.h>

#include "pcnn/model.h"

/* 1 if `path` names a .npz file (by its name), not a directory. */
int pcnn_weights_is_npz(const char *path);

/* Reads config.txt, manifest.txt when present, and every tensor from a
 * directory or a .npz; each must exist with the exact shape, match the
 * manifest and hold finite values. Every size is checked against config.txt
 * before it is allocated. *step (if not NULL) is the manifest's step, or -1. */
pcnn_status pcnn_weights_load(pcnn_device *dev, const char *from, pcnn_model **out, long *step);
/* The same from .npz bytes held in memory (for the fuzzer); `name` is used in messages. */
pcnn_status pcnn_weights_npz_parse(pcnn_device *dev, const void *bytes, size_t size, const char *name,
                                   pcnn_model **out);

typedef struct {
    long step;                          /* the checkpoint's training step for manifest.txt; -1: none */
    volatile sig_atomic_t *interrupted; /* set by a signal handler: stop, remove what was written (may be NULL) */
} pcnn_weights_save_opts;

/* Whether `to` may be written before any work is done: a .npz as any output
 * file; a directory that does not exist yet, or one that holds only what an
 * export writes (config.txt, manifest.txt, *.npy), since it is replaced as a
 * whole. PCNN_ERR_ARG with a message starting "--to <to>:" otherwise. */
pcnn_status pcnn_weights_save_check(const char *to);
/* Writes all of it or nothing. A directory is filled under a temporary name
 * beside it and renamed into place (an existing one is swapped out only once
 * the new one is complete, then removed); a .npz is written to a temporary
 * file and renamed. On failure or interruption the temporary files are
 * removed and `to` is as it was. */
pcnn_status pcnn_weights_save(pcnn_model *m, const char *to, const pcnn_weights_save_opts *opts);

/* pcnn_weights_load without the step, and pcnn_weights_save with step -1. */
pcnn_status pcnn_weights_dir_load(pcnn_device *dev, const char *dir, pcnn_model **out);
pcnn_status pcnn_weights_dir_save(pcnn_model *m, const char *dir);

#endif
