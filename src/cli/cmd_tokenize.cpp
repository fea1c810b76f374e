// gen tokenize FILE... --tokenizer byte|TOKENIZER.json --out TRAIN [--val-fraction F --val-out VAL]
//              [--separator TOKEN] [--format gen|nanogpt]
// Writes text as a token file (io/token_file.h) that data.kind tokens trains from, memory-mapped.
// The files are read in parts (cli/text_chunks.h) cut where the ids do not change, so any size
// works in bounded memory; with --val-fraction the last fraction of the ids goes to --val-out,
// the split data.kind text makes (the text is read twice: once to count the ids). --separator
// appends an added token's id after each file, as nanoGPT's prepare.py appends <|endoftext|>
// after each document.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/text_chunks.h"
#include "core/tokenizer.h"
#include "data/tokenizer_files.h"
#include "io/token_file.h"
#include "util/enum_names.h"
#include "util/errors.h"
#include "util/stopwatch.h"

namespace gen {

template <>
struct EnumNames<TokenFileLayout> {
  static constexpr std::array<std::string_view, 2> names{"gen", "nanogpt"};
};

namespace {

struct TokenizeCommand {
  std::vector<std::string> files;
  std::string tokenizer;
  std::string out;
  std::string val_out;
  double val_fraction = 0;
  std::string format = "gen";
  std::string separator;
};

// The id of the added token SEPARATOR, or -1 for none. Throws UsageError when the tokenizer
// has no such token.
int64_t separator_id(const Tokenizer& tok, const std::string& separator) {
  if (separator.empty()) return -1;
  std::string known;
  if (const BpeTokenizer* bpe = tok.bpe()) {
    for (const AddedToken& t : bpe->model().added) {
      if (t.content == separator) return t.id;
      known += (known.empty() ? "" : ", ") + t.content;
    }
  }
  throw UsageError("--separator " + separator + ": not an added token of the tokenizer (" +
                   (known.empty() ? std::string("it has none") : "it has: " + known) +
                   "; gen tokenizer train --special-token adds one)");
}

// Encodes the files part by part: f(ids of the part). Logs progress every 10 s (and draws it
// on a terminal).
void encode_files(const std::vector<std::string>& files, const Tokenizer& tok, int64_t separator, const char* what,
                  const std::function<void(const std::vector<int64_t>&)>& f) {
  TextPassProgress progress(what);
  size_t current = SIZE_MAX;
  std::vector<int64_t> ids;
  for_each_text_chunk(
      files, [&](std::string_view text) { return tok.safe_cut(text); },
      [&](size_t file, std::string_view part, const TextProgress& p) {
        ids.clear();
        if (file != current && current != SIZE_MAX && separator >= 0) ids.push_back(separator);  // the previous file's end
        tok.encode_part(part, file != current, ids);
        current = file;
        f(ids);
        progress.update(p);
      },
      uint64_t(4) << 20);  // parts of 4 MiB: their ids (8 bytes each) stay well under 100 MiB
  if (current != SIZE_MAX && separator >= 0) f({separator});
  progress.finish();
}

void run_tokenize(const TokenizeCommand& cmd) {
  if (cmd.val_fraction > 0 && cmd.val_out.empty()) throw UsageError("--val-fraction needs --val-out (the held-out token file)");
  if (!cmd.val_out.empty() && cmd.val_fraction <= 0) throw UsageError("--val-out needs --val-fraction above 0");
  const TokenFileLayout layout = *enum_from_name<TokenFileLayout>(cmd.format);
  std::vector<OutputFile> outputs{{"--out", cmd.out}};
  if (!cmd.val_out.empty()) outputs.push_back({"--val-out", cmd.val_out});
  std::vector<std::string> inputs = cmd.files;
  if (cmd.tokenizer != "byte") inputs.push_back(cmd.tokenizer);
  check_outputs(outputs, inputs);
  const Tokenizer tok = cmd.tokenizer == "byte" ? Tokenizer::build("byte", "") : read_tokenizer_file(cmd.tokenizer, "--tokenizer");
  const TokenFileHeader header = token_file_header(tok);
  const int64_t separator = separator_id(tok, cmd.separator);

  const Stopwatch t0;
  uint64_t n_val = 0, n = 0;
  if (cmd.val_fraction > 0) {
    encode_files(cmd.files, tok, separator, "counting tokens", [&](const std::vector<int64_t>& ids) { n += ids.size(); });
    n_val = static_cast<uint64_t>(double(n) * cmd.val_fraction);
    spdlog::info("{} tokens: {} for training, {} held out ({:.1f} s)", n, n - n_val, n_val, t0.seconds());
    if (n_val == 0 || n_val == n) throw UsageError("--val-fraction " + std::to_string(cmd.val_fraction) + " of " + std::to_string(n) + " tokens leaves a split empty");
  }
  uint64_t total = 0;
  TokenFileHeader train_h, val_h;
  const auto write_all = [&](TokenFileWriter& train, TokenFileWriter* val, uint64_t n_train) {
    encode_files(cmd.files, tok, separator, "tokenizing", [&](const std::vector<int64_t>& ids) {
      const uint64_t to_train = val ? std::min<uint64_t>(ids.size(), n_train - std::min(n_train, total)) : ids.size();
      train.append(ids.data(), to_train);
      if (val && to_train < ids.size()) val->append(ids.data() + to_train, ids.size() - to_train);
      total += ids.size();
    });
  };
  if (n_val > 0) {
    // Both in one pass over the text; each appears whole or not at all (the training file is
    // committed first, then the held-out one).
    val_h = write_token_file(cmd.val_out, header, layout, [&](TokenFileWriter& val) {
      train_h = write_token_file(cmd.out, header, layout,
                                 [&](TokenFileWriter& train) { write_all(train, &val, n - n_val); });
    });
  } else {
    train_h = write_token_file(cmd.out, header, layout, [&](TokenFileWriter& train) { write_all(train, nullptr, 0); });
  }
  const double s = t0.seconds();
  spdlog::info("wrote {}: {} tokens ({} bytes each, {} layout, {} tokenizer, vocabulary {}){}; {:.1f} s", cmd.out,
               train_h.count, train_h.id_bytes, cmd.format, tok.kind(), tok.vocab_size(),
               n_val > 0 ? "; " + cmd.val_out + ": " + std::to_string(val_h.count) + " tokens" : std::string(), s);
}

}  // namespace

void setup_tokenize(CLI::App& app) {
  auto cmd = std::make_shared<TokenizeCommand>();
  CLI::App* sub = app.add_subcommand("tokenize", "Write text files as a token file for data.kind tokens (memory-mapped)");
  sub->add_option("files", cmd->files, "text files, concatenated in this order (any size)")->required()->check(CLI::ExistingFile);
  sub->add_option("--tokenizer", cmd->tokenizer, "byte, or a byte-level BPE tokenizer.json (gen tokenizer train, GPT-2's)")
      ->required();
  sub->add_option("--out", cmd->out, "the token file to write (data.train_file)")->required();
  sub->add_option("--val-fraction", cmd->val_fraction, "the last fraction of the ids, written to --val-out instead")
      ->check(CLI::Range(0.0, 0.9));
  sub->add_option("--val-out", cmd->val_out, "the held-out token file (data.val_file)");
  sub->add_option("--separator", cmd->separator,
                  "an added token of the tokenizer (e.g. <|endoftext|>) written after each file's ids");
  sub->add_option("--format", cmd->format, "gen (a header names the tokenizer) or nanogpt (raw uint16, as train.bin)")
      ->check(CLI::IsMember({"gen", "nanogpt"}));
  sub->callback([cmd] { run_tokenize(*cmd); });
}

}  // namespace gen
