"""The report of tools/gpu_check.sh: gathers steps.tsv, tests.tsv, the bench
JSON files and the PyTorch lines under OUT into OUT/report.json and prints the
short table (per preset: pcnn-cl OpenCL train and eval images/s, PyTorch fp32
and TF32, their ratios, GEMM GFLOP/s against the float32 peak, fast sampling).

usage: gpu_check_report.py OUT ICD_KIND ICD_PATH DRY(0|1)
"""
import json
import os
import platform
import sys

# Float32 peaks (GFLOP/s, no tensor cores) from the vendors' data sheets, by a
# piece of the device name; the measured sgemm peak is reported beside it.
FP32_PEAK_GFLOPS = {'H200': 66900, 'H100': 66900, 'A100': 19500, 'L40S': 91600, 'L4': 30300, 'MI300X': 163400}


def read_tsv(path, keys):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            f = line.rstrip('\n').split('\t')
            if len(f) >= len(keys):
                rows.append(dict(zip(keys, f)))
    return rows


def load_json(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def median(stat):
    return stat.get('median') if isinstance(stat, dict) else None


def device_row(dev):
    g = dev.get('gemm') or {}
    s = dev.get('sampling') or {}
    return dict(index=dev.get('index'), name=dev.get('name'), train_images_per_s=median(dev.get('train_images_per_s')),
                eval_images_per_s=median(dev.get('eval_images_per_s')), model_step_gflops=g.get('model_step_gflops'),
                peak_sgemm_gflops=g.get('peak_sgemm_gflops'), fast_sampling_images_per_s=median(s.get('fast_images_per_s')),
                profile=dev.get('profile'))


def spec_peak(name):
    for k, v in FP32_PEAK_GFLOPS.items():
        if name and k.lower() in name.lower():
            return v
    return None


def ratio(a, b):
    return a / b if a and b else None


def fmt(v, w=8, p=1):
    if v is None:
        return '-'.rjust(w)
    return (f'{v:.{p}f}' if v < 1e5 else f'{v:.3g}').rjust(w)


def main():
    out, icd_kind, icd_path, dry = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == '1'
    steps = read_tsv(os.path.join(out, 'steps.tsv'), ['name', 'status', 'rc', 'seconds', 'limit_s'])
    tests = read_tsv(os.path.join(out, 'tests.tsv'), ['name', 'status', 'rc', 'seconds'])
    torch_rows = []
    if os.path.exists(os.path.join(out, 'torch.jsonl')):
        for line in open(os.path.join(out, 'torch.jsonl')):
            try:
                torch_rows.append(json.loads(line))
            except ValueError:
                pass
    manifest = {}
    if os.path.exists(os.path.join(out, 'manifest.txt')):
        for line in open(os.path.join(out, 'manifest.txt')):
            k, _, v = line.strip().partition(' ')
            manifest[k] = v
    looked = open(os.path.join(out, 'icd_looked.txt')).read().split('\n') if os.path.exists(
        os.path.join(out, 'icd_looked.txt')) else []

    try:
        listed = int(manifest.get('tests', '0'))
    except ValueError:
        listed = 0
    presets = {}
    gpu_name = None
    for key, file in (('small', 'bench-small'), ('paper', 'bench-paper'), ('seed', 'bench-seed'),
                      ('paper_tuned', 'bench-paper-tuned')):
        b = load_json(os.path.join(out, file + '.json'))
        if not b:
            continue
        devs = [device_row(d) for d in b.get('devices', [])]
        presets[key] = dict(settings=b.get('settings'), devices=devs)
        for d in devs:
            if d['index'] == 1:
                gpu_name = d['name']
    peak = spec_peak(gpu_name)

    table = []
    for key in ('small', 'paper', 'paper_tuned', 'seed'):
        p = presets.get(key)
        if not p:
            continue
        by = {d['index']: d for d in p['devices']}
        g, c = by.get(1, {}), by.get(0, {})
        base = key.replace('_tuned', '')
        t32 = {r.get('tf32'): r for r in torch_rows if r.get('preset') == base and 'error' not in r}
        fp32, tf32 = t32.get('0') or {}, t32.get('1') or {}
        table.append(dict(
            preset=key, device=g.get('name'), train_images_per_s=g.get('train_images_per_s'),
            eval_images_per_s=g.get('eval_images_per_s'), torch_fp32_train=fp32.get('train_img_s'),
            torch_fp32_eval=fp32.get('forward_img_s'), torch_tf32_train=tf32.get('train_img_s'),
            torch_tf32_eval=tf32.get('forward_img_s'),
            train_vs_torch_fp32=ratio(g.get('train_images_per_s'), fp32.get('train_img_s')),
            train_vs_torch_tf32=ratio(g.get('train_images_per_s'), tf32.get('train_img_s')),
            eval_vs_torch_fp32=ratio(g.get('eval_images_per_s'), fp32.get('forward_img_s')),
            gemm_gflops=g.get('model_step_gflops'), sgemm_peak_measured_gflops=g.get('peak_sgemm_gflops'),
            fp32_peak_spec_gflops=peak, gemm_fraction_of_spec_peak=ratio(g.get('model_step_gflops'), peak),
            fast_sampling_images_per_s=g.get('fast_sampling_images_per_s'),
            device0_train_images_per_s=c.get('train_images_per_s'),
            device0_fast_sampling_images_per_s=c.get('fast_sampling_images_per_s')))

    report = dict(kind='pcnn-cl gpu check', dry_run=dry, host=platform.node(), icd=dict(kind=icd_kind, path=icd_path,
                  looked=[x for x in looked if x]), bundle=manifest, steps=steps, tests=tests, presets=presets,
                  torch=torch_rows, table=table, tests_listed=listed, ok=all(s['status'] in ('pass', 'skip') for s in steps)
                  and not any(t['status'] in ('fail', 'timeout') or (t['status'] == 'skip' and not dry) for t in tests)
                  and (dry or len(tests) == listed))
    tmp = os.path.join(out, 'report.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(report, f, indent=1)
    os.replace(tmp, os.path.join(out, 'report.json'))

    print(f'gpu_check report: {os.path.join(out, "report.json")}' + (' (dry run: PoCL, tiny sizes, not figures)'
                                                                    if dry else ''))
    print(f'device 1: {gpu_name or "-"}   OpenCL library ({icd_kind}): {icd_path or "none"}')
    passed = sum(t['status'] == 'pass' for t in tests)
    print(f'tests: {passed} passed, {sum(t["status"] == "skip" for t in tests)} skipped, '
          f'{sum(t["status"] in ("fail", "timeout") for t in tests)} failed of {len(tests)}')
    if len(tests) < listed and not dry:
        print(f'  {listed - len(tests)} of the {listed} tests did not run (the step ran out of time)')
    for t in tests:
        if t['status'] in ('fail', 'timeout') or (t['status'] == 'skip' and not dry):
            print(f'  {t["status"]}: {t["name"]} (logs/test-{t["name"]}.log)')
    print('steps: ' + ', '.join(f'{s["name"]} {s["status"]} {s["seconds"]}s' for s in steps))
    hdr = ('preset', 'train/s', 'eval/s', 'pt32 tr', 'pttf tr', 'pt32 ev', 'tr/pt32', 'tr/pttf', 'ev/pt32',
           'GEMM GF/s', 'sgemm GF/s', 'of peak', 'sample/s')
    print(' '.join(h.rjust(11 if i == 0 else 9) for i, h in enumerate(hdr)))
    for r in table:
        vals = [r['train_images_per_s'], r['eval_images_per_s'], r['torch_fp32_train'], r['torch_tf32_train'],
                r['torch_fp32_eval'], r['train_vs_torch_fp32'], r['train_vs_torch_tf32'], r['eval_vs_torch_fp32'],
                r['gemm_gflops'], r['sgemm_peak_measured_gflops'], r['gemm_fraction_of_spec_peak'],
                r['fast_sampling_images_per_s']]
        prec = [1, 1, 1, 1, 1, 2, 2, 2, 0, 0, 3, 2]
        print(r['preset'].rjust(11) + ' ' + ' '.join(fmt(v, 9, p) for v, p in zip(vals, prec)))
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
