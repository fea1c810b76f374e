#include "util/logging.h"

#include <algorithm>
#include <fstream>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "util/errors.h"

namespace gen {

namespace {
constexpr const char* kFilePattern = "[%Y-%m-%d %H:%M:%S.%e] [%l] %v";

std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& buffer() {
  static std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink;
  return sink;
}

// The run folder's train.log, while there is one.
std::shared_ptr<spdlog::sinks::sink>& file_sink() {
  static std::shared_ptr<spdlog::sinks::sink> sink;
  return sink;
}

std::shared_ptr<spdlog::logger> make_default() {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("gen", console);
  logger->set_pattern("[%H:%M:%S] %^%v%$");
  return logger;
}
}  // namespace

void setup_console_logging(bool verbose) {
  auto logger = make_default();
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void buffer_log_lines() {
  stop_file_logging();
  buffer() = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
  buffer()->set_pattern(kFilePattern);
  spdlog::default_logger()->sinks().push_back(buffer());
}

void log_to_file(const std::string& path) {
  auto logger = spdlog::default_logger();
  std::vector<std::string> early;
  if (buffer()) early = buffer()->last_formatted();
  stop_file_logging();
  if (!early.empty()) {
    std::ofstream out(path, std::ios::app);
    for (const auto& line : early) out << line;
    if (!out) throw IoError(path + ": cannot write log file");
  }
  try {
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    file->set_pattern(kFilePattern);
    logger->sinks().push_back(file);
    file_sink() = file;
  } catch (const spdlog::spdlog_ex& e) {
    throw IoError(path + ": cannot open log file: " + e.what());
  }
  logger->flush_on(spdlog::level::info);
}

void stop_file_logging() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                             [](const auto& s) { return s && (s == file_sink() || s == buffer()); }),
              sinks.end());
  file_sink().reset();
  buffer().reset();
}

}  // namespace gen
