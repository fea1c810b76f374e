// TensorBoard event files: events.out.tfevents.<unix time>.<host>.<pid> in the run folder,
// readable by TensorBoard (and tbparse, tensorflow's summary_iterator) as it is written.
//
// A file is a sequence of TFRecords (io/tfrecord.h), each holding one Event message:
// the first the file version "brain.Event:2", then one per step and kind of value: scalars
// (Summary.Value.simple_value), PNG images (Summary.Image) and text (a string TensorProto with
// the text plugin's metadata, shown as markdown). The messages are encoded with io/proto_wire.h.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/metric_value.h"
#include "io/tfrecord.h"

namespace gen {

class EventFile {
 public:
  // A new event file in DIR. `resume_step` >= 0: the run continues from that step's
  // checkpoint, and the folder's earlier event files first lose their records of later steps
  // (TensorBoard would otherwise show two histories for those steps).
  EventFile(const std::string& dir, int64_t resume_step);

  void scalars(int64_t step, const MetricValues& values);
  // An encoded PNG of the given size (channels 1 or 3).
  void image(int64_t step, const std::string& tag, const std::string& png, int64_t height, int64_t width,
             int64_t channels);
  // Markdown, as TensorBoard's text tab shows it.
  void text(int64_t step, const std::string& tag, const std::string& markdown);
  // Drops every record of steps after `step` from all event files of the folder (a guard
  // rollback trains them again).
  void rewind(int64_t step);

  const std::string& path() const { return path_; }

 private:
  void write_event(int64_t step, const std::string& summary);

  std::string dir_, path_;
  std::ofstream out_;
};

// The folder's event files (events.out.tfevents.*), sorted by name.
std::vector<std::string> event_files(const std::string& dir);

}  // namespace gen
