/* Training checkpoints: see train_ckpt.h. */
#include "train/train_ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base_try.h"
#include "io/io_file.h"
#include "pcnn/ckpt.h"
#include "pcnn/model_ckpt.h"
#include "train/train_run_dir.h"

/* The value of `key` in key=value lines, or NULL. */
static const char *kv_find(const char *text, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1, *eol = strchr(v, '\n');
            size_t len = eol ? (size_t)(eol - v) : strlen(v);
            if (len >= size)
                return NULL;
            memcpy(out, v, len);
            out[len] = 0;
            return out;
        }
    }
    return NULL;
}

static pcnn_status kv_double(const char *text, const char *path, const char *record, const char *key, double *out)
{
    char buf[64], *end;
    if (!kv_find(text, key, buf, sizeof buf))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record '%s' has no '%s'", path, record, key);
    *out = strtod(buf, &end);
    if (end == buf || *end)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record '%s': bad '%s' value '%s'", path, record, key, buf);
    return PCNN_OK;
}

/* Integers travel as decimal text; doubles hold them exactly below 2^53. */
static pcnn_status kv_u64(const char *text, const char *path, const char *record, const char *key, uint64_t *out)
{
    char buf[64], *end;
    if (!kv_find(text, key, buf, sizeof buf))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record '%s' has no '%s'", path, record, key);
    errno = 0;
    *out = strtoull(buf, &end, 10);
    if (errno || end == buf || *end)
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record '%s': bad '%s' value '%s'", path, record, key, buf);
    return PCNN_OK;
}

static void format_progress(char *buf, size_t size, const train_progress *p)
{
    snprintf(buf, size,
             "step=%ld\nepoch=%llu\nposition=%llu\nshuffle_seed=%llu\nseconds=%.17g\ntest_bits_per_dim=%.17g\n"
             "test_step=%ld\n",
             p->step, (unsigned long long)p->epoch, (unsigned long long)p->position,
             (unsigned long long)p->shuffle_seed, p->seconds, p->test_bpd, p->test_step);
}

static void format_optim(char *buf, size_t size, const pcnn_optim_state *s)
{
    snprintf(buf, size, "kind=%s\nlr=%.17g\nlr_decay=%.17g\nbeta1=%.17g\nbeta2=%.17g\nrho=%.17g\neps=%.17g\nstep=%ld\n",
             s->kind == PCNN_OPT_ADAM ? "adam" : "rmsprop", s->lr, s->lr_decay, s->beta1, s->beta2, s->rho, s->eps,
             s->step);
}

static int is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* checkpoint.pcnn -> checkpoint.prev.pcnn without ever removing checkpoint.pcnn.
 * `target` is the file latest names (itself, or its symlink's target). When
 * latest or prev is a symlink, no link is moved: prev gets target's bytes (a
 * hard link when it can, else a copy, written through prev's own link). */
static pcnn_status keep_previous(const char *latest, const char *target, const char *prev, const char *prev_tmp)
{
    if (access(target, F_OK) != 0)
        return PCNN_OK; /* the first save */
    unlink(prev_tmp);
    int links = strcmp(latest, target) != 0 || is_link(prev);
    if (!is_link(prev) && link(target, prev_tmp) == 0) {
        if (rename(prev_tmp, prev) != 0)
            return pcnn_fail(PCNN_ERR_IO, "%s: cannot rename into place: %s", prev, strerror(errno));
        return PCNN_OK;
    }
    if (links)
        return io_copy_file(target, prev);
    /* No hard links here (some network and FUSE file systems): move it. For a
     * moment only prev and next exist; train_ckpt_load falls back to prev. */
    if (rename(latest, prev) != 0)
        return pcnn_fail(PCNN_ERR_IO, "%s: cannot keep it as %s: %s", latest, prev, strerror(errno));
    return PCNN_OK;
}

/* After a resume that fell back to prev, checkpoint.pcnn is the unloadable
 * one: it goes to checkpoint.bad.pcnn (kept for a look, never loaded) and
 * prev, the only good checkpoint until this save is in place, stays. A
 * symlinked latest stays: its target's bytes are copied aside. */
static pcnn_status set_aside(const char *latest, const char *target, const char *bad)
{
    if (access(target, F_OK) != 0)
        return PCNN_OK;
    if (strcmp(latest, target) != 0)
        return io_copy_file(target, bad);
    if (rename(latest, bad) == 0)
        return PCNN_OK;
    return pcnn_fail(PCNN_ERR_IO, "%s: cannot move the unloadable checkpoint aside to %s: %s", latest, bad,
                     strerror(errno));
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Host copies of the optimiser's moments, checked to be finite, as records. */
static pcnn_status add_moments(pcnn_ckpt *ck, pcnn_model *m, pcnn_optim *o, float *moments[2])
{
    size_t n = pcnn_model_param_count(m);
    pcnn_optimizer kind = pcnn_optim_get_state(o)->kind;
    for (int i = 0; i < pcnn_optim_moment_count(o); i++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "optim.moment.%d", i);
        snprintf(what, sizeof what, "%s (%s)", pcnn_optim_moment_name(kind, i), name);
        moments[i] = malloc(n * sizeof(float));
        if (!moments[i])
            return pcnn_fail(PCNN_ERR_MEMORY, "out of memory copying the optimiser's moments");
        TRY(pcnn_optim_get_moment(o, i, moments[i]));
        TRY(pcnn_model_check_finite(m, moments[i], what, "not saved"));
        TRY(pcnn_ckpt_add(ck, name, PCNN_REC_F32, moments[i], n * sizeof(float)));
    }
    return PCNN_OK;
}

pcnn_status train_ckpt_save(const char *run_dir, pcnn_model *m, pcnn_optim *o, const train_flags *f,
                            const train_progress *p, int latest_is_bad)
{
    pcnn_ckpt ck;
    pcnn_ckpt_init(&ck);
    float *params = NULL, *moments[2] = {NULL, NULL};
    char flags_text[4096], progress_text[512], optim_text[512];
    train_flags_format(f, flags_text, sizeof flags_text);
    format_progress(progress_text, sizeof progress_text, p);
    format_optim(optim_text, sizeof optim_text, pcnn_optim_get_state(o));
    pcnn_status st = pcnn_ckpt_add_model(&ck, m, &params);
    if (!st)
        st = pcnn_ckpt_add_text(&ck, "train.flags", flags_text);
    if (!st)
        st = pcnn_ckpt_add_text(&ck, "train.progress", progress_text);
    if (!st)
        st = pcnn_ckpt_add_text(&ck, "optim.state", optim_text);
    if (!st)
        st = add_moments(&ck, m, o, moments);
    char *latest = run_dir_path(run_dir, "checkpoint.pcnn"), *next = run_dir_path(run_dir, "checkpoint.next.pcnn");
    char *prev = run_dir_path(run_dir, "checkpoint.prev.pcnn"), *prev_tmp = run_dir_path(run_dir, "checkpoint.prev.tmp");
    char *bad = run_dir_path(run_dir, "checkpoint.bad.pcnn");
    /* A symlinked checkpoint.pcnn stays a symlink: the new checkpoint is
     * written beside its target (same file system) and renamed over it. */
    int in_place = 0;
    char *target = latest ? io_write_target(latest, &in_place) : NULL, *target_next = NULL;
    if (!st && (!latest || !next || !prev || !prev_tmp || !bad || !target))
        st = PCNN_ERR_MEMORY;
    struct stat tst;
    if (!st && (in_place || (stat(target, &tst) == 0 && !S_ISREG(tst.st_mode))))
        st = pcnn_fail(PCNN_ERR_IO, "%s: leads to %s, which is not a regular file: not a place for a checkpoint",
                       latest, target);
    int linked = !st && strcmp(target, latest) != 0;
    if (linked) {
        size_t len = strlen(target) + sizeof ".next";
        target_next = malloc(len);
        if (target_next)
            snprintf(target_next, len, "%s.next", target);
        else
            st = PCNN_ERR_MEMORY;
    }
    const char *new_path = linked ? target_next : next;
    if (!st)
        st = pcnn_ckpt_write(&ck, new_path);
    if (!st)
        st = latest_is_bad ? set_aside(latest, target, bad) : keep_previous(latest, target, prev, prev_tmp);
    if (!st && rename(new_path, target) != 0)
        st = pcnn_fail(PCNN_ERR_IO, "%s: cannot rename the new checkpoint into place: %s", target, strerror(errno));
    if (st && new_path)
        unlink(new_path);
    if (!st) { /* make the renames durable */
        fsync_dir_of(latest);
        if (linked)
            fsync_dir_of(target);
    }
    free(target);
    free(target_next);
    free(latest);
    free(next);
    free(prev);
    free(prev_tmp);
    free(bad);
    free(params);
    free(moments[0]);
    free(moments[1]);
    pcnn_ckpt_free(&ck);
    return st;
}

static pcnn_status read_flags(const pcnn_ckpt *ck, const char *path, train_flags *f)
{
    const pcnn_record *r;
    TRY(pcnn_ckpt_expect(ck, path, "train.flags", PCNN_REC_TEXT, (size_t)-1, &r));
    char where[1100];
    snprintf(where, sizeof where, "%s (train.flags record)", path);
    return train_flags_parse(r->data, where, f);
}

static pcnn_status read_progress(const pcnn_ckpt *ck, const char *path, train_progress *p)
{
    const pcnn_record *r;
    TRY(pcnn_ckpt_expect(ck, path, "train.progress", PCNN_REC_TEXT, (size_t)-1, &r));
    const char *t = r->data, *rec = "train.progress";
    uint64_t step, test_step;
    TRY(kv_u64(t, path, rec, "step", &step));
    TRY(kv_u64(t, path, rec, "epoch", &p->epoch));
    TRY(kv_u64(t, path, rec, "position", &p->position));
    TRY(kv_u64(t, path, rec, "shuffle_seed", &p->shuffle_seed));
    TRY(kv_double(t, path, rec, "seconds", &p->seconds));
    TRY(kv_double(t, path, rec, "test_bits_per_dim", &p->test_bpd));
    TRY(kv_u64(t, path, rec, "test_step", &test_step));
    p->step = (long)step;
    p->test_step = (long)test_step;
    return PCNN_OK;
}

pcnn_status train_ckpt_step(const pcnn_ckpt *ck, const char *path, long *step)
{
    *step = -1;
    const pcnn_record *r = pcnn_ckpt_find(ck, "train.progress");
    if (!r)
        return PCNN_OK;
    train_progress p;
    TRY(read_progress(ck, path, &p));
    *step = p.step;
    return PCNN_OK;
}

static pcnn_status read_optim(const pcnn_ckpt *ck, const char *path, pcnn_optim_state *s)
{
    const pcnn_record *r;
    TRY(pcnn_ckpt_expect(ck, path, "optim.state", PCNN_REC_TEXT, (size_t)-1, &r));
    const char *t = r->data, *rec = "optim.state";
    char kind[16];
    if (!kv_find(t, "kind", kind, sizeof kind) || (strcmp(kind, "adam") && strcmp(kind, "rmsprop")))
        return pcnn_fail(PCNN_ERR_FORMAT, "%s: checkpoint record 'optim.state' has no valid 'kind'", path);
    s->kind = strcmp(kind, "adam") == 0 ? PCNN_OPT_ADAM : PCNN_OPT_RMSPROP;
    uint64_t step;
    TRY(kv_double(t, path, rec, "lr", &s->lr));
    TRY(kv_double(t, path, rec, "lr_decay", &s->lr_decay));
    TRY(kv_double(t, path, rec, "beta1", &s->beta1));
    TRY(kv_double(t, path, rec, "beta2", &s->beta2));
    TRY(kv_double(t, path, rec, "rho", &s->rho));
    TRY(kv_double(t, path, rec, "eps", &s->eps));
    TRY(kv_u64(t, path, rec, "step", &step));
    s->step = (long)step;
    return PCNN_OK;
}

/* The moment records hold n floats each (checked before anything is allocated). */
static pcnn_status expect_moments(const pcnn_ckpt *ck, const char *path, pcnn_optimizer kind, size_t n,
                                  const pcnn_record *r[2])
{
    for (int i = 0; i < pcnn_optim_kind_moment_count(kind); i++) {
        char name[32];
        snprintf(name, sizeof name, "optim.moment.%d", i);
        TRY(pcnn_ckpt_expect(ck, path, name, PCNN_REC_F32, n * sizeof(float), &r[i]));
    }
    return PCNN_OK;
}

static pcnn_status load_moments(const pcnn_record *const r[2], const char *path, pcnn_model *m, pcnn_optim *o)
{
    size_t bytes = pcnn_model_param_count(m) * sizeof(float);
    float *buf = malloc(bytes ? bytes : 1);
    if (!buf)
        return pcnn_fail(PCNN_ERR_MEMORY, "%s: out of memory", path);
    pcnn_optimizer kind = pcnn_optim_get_state(o)->kind;
    pcnn_status st = PCNN_OK;
    for (int i = 0; !st && i < pcnn_optim_moment_count(o); i++) {
        char what[96];
        snprintf(what, sizeof what, "%s (optim.moment.%d)", pcnn_optim_moment_name(kind, i), i);
        memcpy(buf, r[i]->data, bytes); /* the payload may sit at any byte offset */
        st = pcnn_model_check_finite(m, buf, what, path);
        if (!st)
            st = pcnn_optim_set_moment(o, i, buf);
    }
    free(buf);
    return st;
}

pcnn_status train_ckpt_load(const char *path, pcnn_device *dev, pcnn_model **m, pcnn_optim **o, train_flags *f,
                            train_progress *p)
{
    *m = NULL;
    *o = NULL;
    pcnn_ckpt ck;
    TRY(pcnn_ckpt_read(path, &ck));
    pcnn_optim_state s;
    pcnn_config cfg;
    size_t n = 0;
    const pcnn_record *params, *moments[2] = {NULL, NULL};
    pcnn_status st = read_flags(&ck, path, f);
    if (!st)
        st = read_progress(&ck, path, p);
    if (!st)
        st = read_optim(&ck, path, &s);
    if (!st && s.step != p->step)
        st = pcnn_fail(PCNN_ERR_FORMAT, "%s: optimiser step %ld and training step %ld disagree", path, s.step,
                       p->step);
    /* Every record's size against the config before a byte is allocated. */
    if (!st)
        st = pcnn_ckpt_model_records(&ck, path, &cfg, &n, &params);
    if (!st)
        st = expect_moments(&ck, path, s.kind, n, moments);
    if (!st)
        st = pcnn_model_from_ckpt(dev, &ck, path, m);
    if (!st)
        st = pcnn_optim_create(*m, &s, o);
    if (!st)
        st = load_moments(moments, path, *m, *o);
    pcnn_ckpt_free(&ck);
    if (st) {
        pcnn_optim_free(*o);
        pcnn_model_free(*m);
        *o = NULL;
        *m = NULL;
    }
    return st;
}

pcnn_status train_ckpt_read_flags(const char *path, train_flags *f)
{
    pcnn_ckpt ck;
    TRY(pcnn_ckpt_read(path, &ck));
    pcnn_status st = read_flags(&ck, path, f);
    pcnn_ckpt_free(&ck);
    return st;
}
