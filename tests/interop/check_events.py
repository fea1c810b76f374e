#!/usr/bin/env python3
"""Decodes TensorBoard event files with the official protobuf runtime (Debian's python3-protobuf),
independently of gen's own reader: the message types are declared below from TensorFlow's
event.proto, summary.proto, tensor.proto and tensor_shape.proto (field numbers and types as
published), every TFRecord's two masked CRC-32Cs are recomputed here, and each record must
parse as an Event.

usage: check_events.py RUN_DIR [EXPECT ...]
EXPECT is KIND:TAG=COUNT (KIND scalar|image|text), e.g. scalar:loss_d=10 image:samples=2; the
counts are over all event files of RUN_DIR, and no (kind, tag, step) may appear twice.
Prints one line per file and the counts; exits 1 on any mismatch.
"""
import collections
import glob
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def build_messages():
    fd = descriptor_pb2.FileDescriptorProto(name="gen_check_events.proto", package="tensorflow", syntax="proto3")

    def message(name, fields, parent=None):
        m = (parent.nested_type if parent else fd.message_type).add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    message("Event", [("wall_time", 1, F.TYPE_DOUBLE, opt, None), ("step", 2, F.TYPE_INT64, opt, None),
                      ("file_version", 3, F.TYPE_STRING, opt, None),
                      ("summary", 5, F.TYPE_MESSAGE, opt, ".tensorflow.Summary")])
    summary = message("Summary", [("value", 1, F.TYPE_MESSAGE, rep, ".tensorflow.Summary.Value")])
    message("Image", [("height", 1, F.TYPE_INT32, opt, None), ("width", 2, F.TYPE_INT32, opt, None),
                      ("colorspace", 3, F.TYPE_INT32, opt, None),
                      ("encoded_image_string", 4, F.TYPE_BYTES, opt, None)], summary)
    message("Value", [("tag", 1, F.TYPE_STRING, opt, None), ("simple_value", 2, F.TYPE_FLOAT, opt, None),
                      ("image", 4, F.TYPE_MESSAGE, opt, ".tensorflow.Summary.Image"),
                      ("tensor", 8, F.TYPE_MESSAGE, opt, ".tensorflow.TensorProto"),
                      ("metadata", 9, F.TYPE_MESSAGE, opt, ".tensorflow.SummaryMetadata")], summary)
    metadata = message("SummaryMetadata", [("plugin_data", 1, F.TYPE_MESSAGE, opt,
                                            ".tensorflow.SummaryMetadata.PluginData")])
    message("PluginData", [("plugin_name", 1, F.TYPE_STRING, opt, None), ("content", 2, F.TYPE_BYTES, opt, None)],
            metadata)
    shape = message("TensorShapeProto", [("dim", 2, F.TYPE_MESSAGE, rep, ".tensorflow.TensorShapeProto.Dim")])
    message("Dim", [("size", 1, F.TYPE_INT64, opt, None)], shape)
    message("TensorProto", [("dtype", 1, F.TYPE_INT32, opt, None),
                            ("tensor_shape", 2, F.TYPE_MESSAGE, opt, ".tensorflow.TensorShapeProto"),
                            ("string_val", 8, F.TYPE_BYTES, rep, None)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    desc = pool.FindMessageTypeByName("tensorflow.Event")
    try:
        return message_factory.GetMessageClass(desc)
    except AttributeError:  # protobuf < 4
        return message_factory.MessageFactory(pool).GetPrototype(desc)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    blob = open(path, "rb").read()
    pos = 0
    while pos < len(blob):
        (length,) = struct.unpack("<Q", blob[pos:pos + 8])
        (length_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        assert length_crc == masked(blob[pos:pos + 8]), f"{path}: length CRC wrong at byte {pos}"
        data = blob[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
        assert len(data) == length and data_crc == masked(data), f"{path}: data CRC wrong at byte {pos}"
        yield data
        pos += 16 + length


def main():
    run_dir, expects = sys.argv[1], sys.argv[2:]
    Event = build_messages()
    counts, seen, failures = collections.Counter(), set(), []
    files = sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*")))
    if not files:
        failures.append(f"{run_dir}: no event files")
    for path in files:
        n = 0
        for data in records(path):
            event = Event()
            event.ParseFromString(data)
            n += 1
            if n == 1 and event.file_version != "brain.Event:2":
                failures.append(f"{path}: first record is not the file version")
            for v in event.summary.value:
                if v.HasField("image"):
                    kind = "image"
                    if v.image.encoded_image_string[1:4] != b"PNG":
                        failures.append(f"{path}: image {v.tag} at step {event.step} is not a PNG")
                elif v.HasField("tensor"):
                    kind = v.metadata.plugin_data.plugin_name
                else:
                    kind = "scalar"
                key = (kind, v.tag, event.step)
                if key in seen:
                    failures.append(f"{kind} {v.tag} at step {event.step} recorded twice")
                seen.add(key)
                counts[f"{kind}:{v.tag}"] += 1
        print(f"{os.path.basename(path)}: {n} records, CRCs and messages intact")
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
