// gen tokenizer train FILE... --vocab-size N --out tokenizer.json [--special-token T ...]
// Trains a byte-level BPE on text files (core/bpe_trainer.h: the tokenizers library's
// BpeTrainer, same vocabulary on the same text) and writes it as a tokenizer.json that
// data.tokenizer: file, the tokenizers library and transformers read.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/text_chunks.h"
#include "core/bpe_trainer.h"
#include "core/tokenizer_json.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/progress_line.h"
#include "util/stopwatch.h"

namespace gen {

namespace {

struct TokenizerTrainCommand {
  std::vector<std::string> files;
  int64_t vocab_size = 0;
  std::string out;
  std::vector<std::string> special_tokens;
};

void run_tokenizer_train(const TokenizerTrainCommand& cmd) {
  check_outputs({{"--out", cmd.out}}, cmd.files);
  const Stopwatch t0;
  BpeTrainer trainer;
  uint64_t total = 0;
  TextPassProgress progress("counting words");
  for_each_text_chunk(
      cmd.files, [](std::string_view text) { return text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1; },
      [&](size_t, std::string_view chunk, const TextProgress& p) {
        trainer.add_text(chunk);
        total = p.bytes_total;
        progress.update(p);
      });
  progress.finish();
  const double count_s = t0.seconds();
  spdlog::info("{} words ({} distinct) in {:.1f} MB of text, counted in {:.1f} s", trainer.words_seen(),
               trainer.distinct_words(), total / 1e6, count_s);
  const int64_t merges = cmd.vocab_size - 256 - static_cast<int64_t>(cmd.special_tokens.size());
  ProgressLine line(0, std::max<int64_t>(1, merges), ProgressLine::wanted());
  const BpeModel model =
      trainer.train(cmd.vocab_size, [&](int64_t done, int64_t) { line.update(done); }, cmd.special_tokens);
  line.finish();
  if (static_cast<int64_t>(model.tokens.size()) < cmd.vocab_size) {
    spdlog::warn("the text has no more pairs to merge: {} tokens, fewer than --vocab-size {}", model.tokens.size(),
                 cmd.vocab_size);
  }
  write_file_atomic(cmd.out, bpe_tokenizer_json(model));
  const double all_s = t0.seconds();
  spdlog::info("wrote {}: {} tokens, {} merges; {:.1f} s in all ({:.1f} s counting, {:.1f} s merging; {:.2f} MB/s)",
               cmd.out, model.tokens.size(), model.merges.size(), all_s, count_s, all_s - count_s,
               total / 1e6 / std::max(all_s, 1e-9));
}

}  // namespace

void setup_tokenizer(CLI::App& app) {
  CLI::App* group = app.add_subcommand("tokenizer", "Tokenizers for text models (gen tokenizer train)");
  group->require_subcommand(1);
  auto cmd = std::make_shared<TokenizerTrainCommand>();
  CLI::App* train = group->add_subcommand(
      "train", "Train a byte-level BPE tokenizer (GPT-2's kind) on text files and write it as a tokenizer.json");
  train->add_option("files", cmd->files, "text files, read line by line (any size)")->required()->check(CLI::ExistingFile);
  train->add_option("--vocab-size", cmd->vocab_size, "tokens in the vocabulary: the 256 bytes plus the merges")
      ->required()
      ->check(CLI::Range(int64_t(256), int64_t(1) << 20));
  train->add_option("--out", cmd->out, "the tokenizer.json to write (data.tokenizer_file reads it)")->required();
  train->add_option("--special-token", cmd->special_tokens,
                    "an added token with one of the first ids, e.g. <|endoftext|> (gen tokenize --separator); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  train->callback([cmd] { run_tokenizer_train(*cmd); });
}

}  // namespace gen
