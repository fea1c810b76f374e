#!/usr/bin/env python3
"""Reads a gen run folder with TensorBoard's own reader (EventAccumulator of the pinned
tensorboard package, which checks every record's CRCs) and compares it with gen's numbers.

usage: check_events_tensorboard.py RUN_DIR [EXPECT ...]
EXPECT is KIND:TAG=COUNT (KIND scalar|image|text), e.g. scalar:loss_d=4 image:samples=3; counts
are over all event files of RUN_DIR. Every scalar must equal metrics.jsonl's value of that key
at that step (as float32), no (kind, tag, step) may appear twice, every image must be a PNG of
the recorded size, every text a UTF-8 string. Exits 1 on any mismatch.
"""
import collections
import json
import os
import struct
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator


def main():
    run_dir, expects = sys.argv[1], sys.argv[2:]
    failures = []
    # purge_orphaned_data=False: a step written twice (a resume that did not rewind) stays visible.
    acc = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0,
                                event_accumulator.TENSORS: 0}, purge_orphaned_data=False)
    acc.Reload()
    tags = acc.Tags()
    logged = collections.defaultdict(dict)  # key -> step -> value, from gen's metrics.jsonl
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            for k, v in record.items():
                if isinstance(v, (int, float)) and k != "step":
                    logged[k][record["step"]] = v
    counts, seen = collections.Counter(), set()

    def note(kind, tag, step):
        if (kind, tag, step) in seen:
            failures.append(f"{kind} {tag} at step {step} recorded twice")
        seen.add((kind, tag, step))
        counts[f"{kind}:{tag}"] += 1

    compared = 0
    for tag in tags["scalars"]:
        for e in acc.Scalars(tag):
            note("scalar", tag, e.step)
            want = logged.get(tag, {}).get(e.step)
            if want is None:
                failures.append(f"scalar {tag} at step {e.step}: not in metrics.jsonl")
            elif np.float32(want) != np.float32(e.value) and not np.isclose(e.value, want, rtol=1e-5):
                failures.append(f"scalar {tag} at step {e.step}: TensorBoard {e.value}, metrics.jsonl {want}")
            else:
                compared += 1
    for tag in tags["images"]:
        for e in acc.Images(tag):
            note("image", tag, e.step)
            png = e.encoded_image_string
            if png[:8] != b"\x89PNG\r\n\x1a\n":
                failures.append(f"image {tag} at step {e.step} is not a PNG")
            elif struct.unpack(">II", png[16:24]) != (e.width, e.height):
                failures.append(f"image {tag} at step {e.step}: PNG size differs from the recorded {e.width}x{e.height}")
    for tag in tags["tensors"]:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        for e in acc.Tensors(tag):
            note(plugin, tag, e.step)
            if plugin == "text":
                try:
                    for s in e.tensor_proto.string_val:
                        s.decode("utf-8")
                except UnicodeDecodeError:
                    failures.append(f"text {tag} at step {e.step} is not UTF-8")
    print(f"{run_dir}: {sum(counts.values())} values read by TensorBoard; {compared} scalars equal metrics.jsonl")
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    for e in expects:
        key, want = e.rsplit("=", 1)
        if counts[key] != int(want):
            failures.append(f"{key}: {counts[key]} in the files, expected {want}")
    if failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
