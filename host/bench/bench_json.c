/* The JSON form of a benchmark run: see bench_report.h. Written with stdio
 * into a memory stream, then committed atomically, so a reader never sees a
 * half-written report. Non-finite numbers become null (JSON has no NaN). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/bench_report.h"
#include "io/io_file.h"

static void str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void key(FILE *f, const char *k)
{
    str(f, k);
    fputc(':', f);
}

static void stat_obj(FILE *f, const char *k, bench_stat s)
{
    key(f, k);
    if (s.n == 0) {
        fputs("null", f);
        return;
    }
    fputs("{\"median\":", f);
    num(f, s.median);
    fputs(",\"min\":", f);
    num(f, s.min);
    fputs(",\"max\":", f);
    num(f, s.max);
    fprintf(f, ",\"n\":%d}", s.n);
}

static void kv_num(FILE *f, const char *k, double v)
{
    key(f, k);
    num(f, v);
    fputc(',', f);
}

static void kv_str(FILE *f, const char *k, const char *v)
{
    key(f, k);
    str(f, v);
    fputc(',', f);
}

static void device_obj(FILE *f, const bench_result *r)
{
    fprintf(f, "{\"index\":%d,", r->index);
    kv_str(f, "name", r->name);
    kv_str(f, "backend", r->info.backend);
    kv_str(f, "platform", r->info.platform);
    kv_str(f, "device", r->info.name);
    kv_str(f, "driver", r->info.driver);
    stat_obj(f, "train_images_per_s", r->train_ips);
    fputc(',', f);
    stat_obj(f, "train_step_s", r->train_s);
    fputc(',', f);
    kv_num(f, "first_step_s", r->first_step_s);
    stat_obj(f, "eval_images_per_s", r->eval_ips);
    fputc(',', f);
    key(f, "sampling");
    fprintf(f, "{\"supported\":%s,", r->fast_supported ? "true" : "false");
    kv_str(f, "note", r->fast_note);
    stat_obj(f, "fast_images_per_s", r->sampling.fast_ips);
    fputc(',', f);
    stat_obj(f, "naive_seconds_per_subpixel", r->sampling.naive_subpixel_s);
    fputc(',', f);
    key(f, "naive_images_per_s_extrapolated");
    num(f, r->sampling.naive_subpixel_s.n ? r->sampling.naive_ips : NAN);
    fputs("},", f);
    key(f, "gemm");
    fputs("{\"model_shapes\":[", f);
    int masked = 0;
    for (int i = 0; i < r->n_gemms; i++) {
        const step_product *p = &r->gemms[i].product;
        const gemm_shape *s = &p->shape;
        masked |= p->kind != PRODUCT_GEMM;
        fprintf(f, "%s{\"kind\":\"%s\",\"op\":\"%c%c\",\"m\":%d,\"n\":%d,\"k\":%d,\"count\":%d,\"gathered\":%s,",
                i ? "," : "", product_kind_name(p->kind), s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k,
                s->count, p->gathered ? "true" : "false");
        stat_obj(f, "gflops", r->gemms[i].gflops);
        fputc('}', f);
    }
    fputs("],", f);
    fprintf(f, "\"masked\":%s,", masked ? "true" : "false");
    kv_num(f, "model_step_gflops", r->model_gemm_gflops);
    kv_num(f, "peak_plain_gemm_gflops", r->peak_plain_gflops);
    kv_num(f, "peak_masked_gflops", r->peak_masked_gflops);
    kv_str(f, "peak_source", r->peak_source ? r->peak_source : "");
    key(f, "peak_sgemm_gflops");
    num(f, r->peak_gflops);
    fputs("},", f);
    kv_num(f, "train_live_gflops", r->train_live_gflops);
    kv_num(f, "train_fraction_of_peak", r->train_peak_fraction);
    fprintf(f, "\"live_macs_per_step\":%llu,", (unsigned long long)r->live_macs_per_step);
    key(f, "compile");
    if (r->has_compile) {
        fputc('{', f);
        kv_num(f, "open_cold_s", r->open_cold_s);
        kv_num(f, "open_warm_s", r->open_warm_s);
        kv_num(f, "cold_s", r->compile_cold_s);
        key(f, "warm_s");
        num(f, r->compile_warm_s);
        fputs("},", f);
    } else {
        fputs("null,", f);
    }
    if (r->profile_steps) {
        fprintf(f, "\"profile\":{\"steps\":%d,", r->profile_steps);
        kv_num(f, "step_s", r->profile_step_s);
        kv_num(f, "optimizer_s", r->profile_optim_s);
        fputs("\"layers\":[", f);
        for (int k = 0; k < PROFILE_KINDS; k++) {
            fprintf(f, "%s{", k ? "," : "");
            kv_str(f, "kind", profile_kind_names[k]);
            kv_num(f, "forward_s", r->profile.forward_s[k]);
            key(f, "backward_s");
            num(f, r->profile.backward_s[k]);
            fputc('}', f);
        }
        fputs("]},", f);
    }
    fprintf(f, "\"memory\":{\"host_rss_base_bytes\":%lld,\"host_rss_peak_bytes\":%lld,\"device_bytes_peak\":%llu,"
               "\"analytic_bytes\":%llu}}",
            (long long)r->host_rss_base_kib * 1024,
            r->host_rss_peak_kib < 0 ? -1LL : (long long)r->host_rss_peak_kib * 1024,
            (unsigned long long)r->device_bytes_peak, (unsigned long long)r->analytic_bytes);
}

pcnn_status bench_commit_text(const char *path, const char *text, size_t len)
{
    atomic_file af;
    pcnn_status st = atomic_file_open(&af, path);
    if (!st)
        st = atomic_file_write(&af, text, len);
    if (!st)
        st = atomic_file_commit(&af);
    else
        atomic_file_abort(&af);
    return st;
}

pcnn_status bench_write_json(const char *path, const sysinfo *sys, const bench_settings *s, const bench_result *r,
                             int n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return pcnn_fail(PCNN_ERR_MEMORY, "--json %s: out of memory", path);
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fputs("{\"machine\":{", f);
    kv_str(f, "cpu_model", sys->cpu_model);
    fprintf(f, "\"cores\":%d,\"memory_bytes\":%llu,", sys->cores, (unsigned long long)sys->memory_bytes);
    fprintf(f, "\"load_average_before\":[%.2f,%.2f,%.2f],\"load_average_after\":[%.2f,%.2f,%.2f]},",
            sys->load_before[0], sys->load_before[1], sys->load_before[2], sys->load_after[0], sys->load_after[1],
            sys->load_after[2]);
    fputs("\"versions\":{", f);
    kv_str(f, "pcnn_cl", sys->pcnn);
    kv_str(f, "openblas", sys->openblas);
    kv_str(f, "clblast", sys->clblast);
    key(f, "opencl");
    fputc('[', f);
    for (int i = 0, first = 1; i < n; i++)
        if (r[i].index > 0) {
            fprintf(f, "%s{\"device\":%d,", first ? "" : ",", r[i].index);
            kv_str(f, "platform", r[i].info.platform);
            key(f, "driver");
            str(f, r[i].info.driver);
            fputc('}', f);
            first = 0;
        }
    fputs("]},", f);
    kv_str(f, "date", date);
    fputs("\"settings\":{", f);
    kv_str(f, "preset", s->preset);
    fprintf(f, "\"batch\":%d,\"height\":%d,\"width\":%d,\"colours\":%d,\"reps\":%d,\"sample_n\":%d,"
               "\"naive_steps\":%d,\"peak_size\":%d},",
            s->batch, s->height, s->width, s->colours, s->reps, s->sample_n, s->naive_steps, s->peak_size);
    fputs("\"devices\":[", f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        device_obj(f, &r[i]);
    }
    fputs("]}\n", f);
    fclose(f);
    pcnn_status st = text ? bench_commit_text(path, text, len) : pcnn_fail(PCNN_ERR_MEMORY, "--json: out of memory");
    free(text);
    return st;
}
