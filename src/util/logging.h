// One logger for the whole program: console, plus the run folder's train.log once a run has one.
#pragma once

#include <string>

namespace gen {

void setup_console_logging(bool verbose);
// Keeps the lines logged from now on, so that log_to_file can put them at the head of the
// file: a run logs its set-up before it knows it will succeed and creates its folder.
void buffer_log_lines();
// Adds (or replaces) the file sink, first writing any buffered lines; the file is appended to,
// so a resumed run keeps its history.
void log_to_file(const std::string& path);
void stop_file_logging();

}  // namespace gen
