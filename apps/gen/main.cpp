// The gen command line: wires the subcommands of src/cli and turns errors into one line on
// stderr and an exit code (see ExitCode in util/errors.h).
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <new>
#include <string>

#include "cli/build_info.h"
#include "cli/commands.h"
#include "util/allocator.h"
#include "util/errors.h"
#include "util/interrupt.h"
#include "util/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"gen: train generative models (DCGAN, VAE, Transformer) from YAML experiment files"};
  app.set_version_flag("--version", [] { return gen::build_info(); });
  gen::setup_console_logging(false);
  app.add_flag_callback(
      "-v,--verbose", [] { spdlog::set_level(spdlog::level::debug); }, "debug logging");
  app.require_subcommand(1);
  gen::ExitCode status = gen::ExitCode::kOk;  // set by commands that end without an error, not cleanly
  gen::setup_train(app, status);
  gen::setup_sample(app, std::cout);
  gen::setup_eval(app, std::cout);
  gen::setup_config(app, std::cout);
  gen::setup_verify_resume(app, std::cout);
  gen::setup_bench(app, std::cout);
  gen::setup_export(app);
  gen::setup_plot(app);
  gen::setup_tokenizer(app);
  gen::setup_tokenize(app);

  try {
    gen::configure_malloc();  // GEN_MALLOC, before the first large allocations
    gen::install_exit_on_interrupt();  // gen train and the launcher install their own
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Every command-line mistake is a usage error (CLI11's own codes, 105-114, are not documented).
    std::cerr << "gen: error: " << e.what() << " (see --help)\n";
    return static_cast<int>(gen::ExitCode::kUsage);
  } catch (const gen::Error& e) {
    std::cerr << "gen: error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const c10::Error& e) {
    // A LibTorch failure we did not anticipate: one line, no C++ backtrace.
    const std::string msg = e.what_without_backtrace();
    std::cerr << "gen: error: " << msg.substr(0, msg.find('\n')) << "\n";
    return static_cast<int>(gen::ExitCode::kFailure);
  } catch (const std::bad_alloc&) {
    std::cerr << "gen: error: out of memory (an allocation failed; a memory limit such as ulimit -v or -d, or "
                 "the machine's RAM, is smaller than this job needs)\n";
    return static_cast<int>(gen::ExitCode::kFailure);
  } catch (const std::exception& e) {
    std::cerr << "gen: error: " << e.what() << "\n";
    return static_cast<int>(gen::ExitCode::kFailure);
  }
  return static_cast<int>(status);
}
