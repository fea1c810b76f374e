#include "io/event_file.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "io/proto_wire.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/utf8.h"

namespace gen {

namespace {

// Field numbers of tensorflow/core/util/event.proto and framework/summary.proto,
// tensor.proto, tensor_shape.proto.
namespace event {
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5;
}
namespace summary_value {
constexpr int kTag = 1, kSimpleValue = 2, kImage = 4, kTensor = 8, kMetadata = 9;
}
namespace image {
constexpr int kHeight = 1, kWidth = 2, kColorspace = 3, kEncoded = 4;
}
constexpr int kSummaryValue = 1;          // Summary.value
constexpr int kMetadataPluginData = 1;    // SummaryMetadata.plugin_data
constexpr int kPluginName = 1;            // PluginData.plugin_name
constexpr int kTensorDtype = 1, kTensorShape = 2, kTensorStringVal = 8;
constexpr int kDtString = 7;              // DataType DT_STRING

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string value_with_tag(const std::string& tag) {
  std::string v;
  wire::put_bytes_field(v, summary_value::kTag, tag);
  return v;
}

}  // namespace

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : list_folder(dir)) {
    if (name.rfind("events.out.tfevents.", 0) == 0) out.push_back(dir + "/" + name);
  }
  return out;
}

EventFile::EventFile(const std::string& dir, int64_t resume_step) : dir_(dir) {
  if (resume_step >= 0) rewind(resume_step);
  const std::string stem = dir + "/events.out.tfevents." + std::to_string(int64_t(wall_time())) + "." + host_name() +
                           "." + std::to_string(getpid());
  path_ = stem;
  for (int i = 1; path_exists(path_); ++i) path_ = stem + "." + std::to_string(i);
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw IoError(path_ + ": cannot open for writing");
  std::string first;
  wire::put_double_field(first, event::kWallTime, wall_time());
  wire::put_bytes_field(first, event::kFileVersion, "brain.Event:2");
  out_ << tfrecord_frame(first);
  out_.flush();
}

void EventFile::write_event(int64_t step, const std::string& summary) {
  std::string e;
  wire::put_double_field(e, event::kWallTime, wall_time());
  wire::put_varint_field(e, event::kStep, uint64_t(step));
  wire::put_bytes_field(e, event::kSummary, summary);
  out_ << tfrecord_frame(e);
  out_.flush();
  if (!out_) throw IoError(path_ + ": write failed");
}

void EventFile::scalars(int64_t step, const MetricValues& values) {
  std::string summary;
  for (const MetricValue& m : values) {
    std::string v = value_with_tag(m.name);
    wire::put_float_field(v, summary_value::kSimpleValue, float(m.value));
    wire::put_bytes_field(summary, kSummaryValue, v);
  }
  if (!summary.empty()) write_event(step, summary);
}

void EventFile::image(int64_t step, const std::string& tag, const std::string& png, int64_t height, int64_t width,
                      int64_t channels) {
  std::string img;
  wire::put_varint_field(img, image::kHeight, uint64_t(height));
  wire::put_varint_field(img, image::kWidth, uint64_t(width));
  wire::put_varint_field(img, image::kColorspace, uint64_t(channels));
  wire::put_bytes_field(img, image::kEncoded, png);
  std::string v = value_with_tag(tag);
  wire::put_bytes_field(v, summary_value::kImage, img);
  std::string summary;
  wire::put_bytes_field(summary, kSummaryValue, v);
  write_event(step, summary);
}

void EventFile::text(int64_t step, const std::string& tag, const std::string& markdown) {
  std::string plugin, metadata, tensor;
  wire::put_bytes_field(plugin, kPluginName, "text");
  wire::put_bytes_field(metadata, kMetadataPluginData, plugin);
  wire::put_varint_field(tensor, kTensorDtype, kDtString);
  wire::put_bytes_field(tensor, kTensorShape, "");  // a scalar: a shape without dimensions
  wire::put_bytes_field(tensor, kTensorStringVal, to_valid_utf8(markdown));  // TensorBoard decodes it as UTF-8
  std::string v = value_with_tag(tag);
  wire::put_bytes_field(v, summary_value::kTensor, tensor);
  wire::put_bytes_field(v, summary_value::kMetadata, metadata);
  std::string summary;
  wire::put_bytes_field(summary, kSummaryValue, v);
  write_event(step, summary);
}

void EventFile::rewind(int64_t step) {
  const bool was_open = out_.is_open();
  if (was_open) out_.close();
  for (const std::string& file : event_files(dir_)) {
    std::string damage;
    const std::vector<EventRecord> records = read_event_records(file, &damage);
    std::string kept;
    size_t dropped = 0;
    for (const EventRecord& r : records) {
      if (r.step > step) {
        ++dropped;
      } else {
        kept += tfrecord_frame(r.data);
      }
    }
    if (dropped == 0 && damage.empty()) continue;
    if (!damage.empty()) spdlog::warn("{}: {}; the records after it are dropped", file, damage);
    write_file_atomic(file, kept);
  }
  if (was_open) {
    out_.open(path_, std::ios::binary | std::ios::app);
    if (!out_) throw IoError(path_ + ": cannot open for writing");
  }
}

}  // namespace gen
