"""The PyTorch anchor for tools/gpu_check.sh: runs ../shared/anchors/bench_torch.py
(carried in the bundle) for each preset with TF32=0 and TF32=1 in one process,
so CUDA starts once. Appends one JSON line per run to OUT.

usage: gpu_check_torch.py ANCHORS_DIR OUT.jsonl BATCH STEPS HW COLOURS PRESET...
TORCH_DEVICE=cuda (the GPU check) or cpu (its dry run, one run per preset).
"""
import contextlib
import io
import json
import os
import sys
import traceback


def main():
    anchors, out, batch, steps, hw, colours = sys.argv[1:7]
    presets = sys.argv[7:]
    sys.path.insert(0, anchors)
    import bench_torch  # noqa: E402 (the anchor, found at run time)

    device = os.environ.get('TORCH_DEVICE', 'cpu')
    modes = ['0', '1'] if device != 'cpu' else ['0']
    failed = 0
    with open(out, 'a') as f:
        for tf32 in modes:
            os.environ['TF32'] = tf32
            for preset in presets:
                sys.argv = ['bench_torch.py', preset, batch, steps, hw, colours]
                buf = io.StringIO()
                try:
                    with contextlib.redirect_stdout(buf):
                        bench_torch.main()
                    row = json.loads(buf.getvalue().strip().splitlines()[-1])
                except Exception as e:  # one failing run must not hide the others
                    traceback.print_exc()
                    row = dict(preset=preset, device=device, tf32=tf32, error=repr(e))
                    failed = 1
                print(json.dumps(row), flush=True)
                f.write(json.dumps(row) + '\n')
    sys.exit(failed)


if __name__ == '__main__':
    main()
