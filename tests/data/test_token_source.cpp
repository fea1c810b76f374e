#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "config/config.h"
#include "core/tokenizer.h"
#include "data/data_source.h"
#include "data/tokenizer_files.h"
#include "io/token_file.h"
#include "support/temp_dir.h"
#include "util/errors.h"

using gen::test::TempDir;

namespace {

std::string some_text(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += char(32 + (i * 7 + i / 13) % 90);
  return s;
}

gen::Config config(const TempDir& dir, const std::string& data_yaml, int64_t block, int64_t batch) {
  std::string yaml = "model: {kind: transformer}\ndata: {" + data_yaml + ", block_size: ";
  yaml.append(std::to_string(block)).append(", batch_size: ").append(std::to_string(batch)).append("}\n");
  gen::Config c = gen::parse_config(yaml, "test");
  c.data.root = dir.path();
  return c;
}

void write_ids(const std::string& path, const gen::TokenFileHeader& h, const std::vector<int64_t>& ids,
               gen::TokenFileLayout layout = gen::TokenFileLayout::kGen) {
  gen::write_token_file(path, h, layout, [&](gen::TokenFileWriter& w) { w.append(ids.data(), ids.size()); });
}

int64_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

}  // namespace

TEST_CASE("token source: token files of a text give the text source's batches, step by step", "[data]") {
  TempDir dir;
  const std::string text = some_text(3000);
  gen::test::write_text(dir / "t.txt", text);
  // The split data.kind text makes: the last tenth of the ids held out.
  const gen::Tokenizer byte = gen::Tokenizer::build("byte", "");
  const std::vector<int64_t> ids = byte.encode(text);
  const auto n_val = static_cast<int64_t>(double(ids.size()) * 0.1);
  const gen::TokenFileHeader h = gen::token_file_header(byte);
  write_ids(dir / "train.tok", h, std::vector<int64_t>(ids.begin(), ids.end() - n_val));
  write_ids(dir / "val.tok", h, std::vector<int64_t>(ids.end() - n_val, ids.end()));

  for (int64_t eval_batches : {0, 3}) {
    gen::Config text_c = config(dir, "kind: text, file: t.txt, tokenizer: byte", 16, 4);
    gen::Config tok_c = config(dir, "kind: tokens, train_file: train.tok, val_file: val.tok, tokenizer: byte", 16, 4);
    text_c.train.eval_batches = tok_c.train.eval_batches = eval_batches;
    auto from_text = gen::open_data_source(text_c, torch::kCPU);
    auto from_tokens = gen::open_data_source(tok_c, torch::kCPU);
    CHECK(from_tokens->spec().text.vocab_size == 256);
    CHECK(from_tokens->spec().text.tokenizer == "byte");
    for (int64_t step : {0, 1, 7, 1000}) {
      CHECK(torch::equal(from_text->batch_at(step).x, from_tokens->batch_at(step).x));
      CHECK(torch::equal(from_text->batch_at(step).y, from_tokens->batch_at(step).y));
    }
    for (gen::EvalSplit split : {gen::EvalSplit::kTrain, gen::EvalSplit::kVal}) {
      const int64_t n = from_text->eval_batch_count(split);
      REQUIRE(from_tokens->eval_batch_count(split) == n);
      for (int64_t i = 0; i < n; ++i) CHECK(torch::equal(from_text->eval_batch(split, i).y, from_tokens->eval_batch(split, i).y));
    }
  }
}

TEST_CASE("token source: a file of another tokenizer, ids outside the vocabulary and a missing file are DataErrors", "[data]") {
  TempDir dir;
  const gen::Tokenizer byte = gen::Tokenizer::build("byte", "");
  gen::TokenFileHeader other = gen::token_file_header(byte);
  other.tokenizer_kind = "file";
  other.tokenizer_crc ^= 1;
  write_ids(dir / "other.tok", other, std::vector<int64_t>(100, 5));
  gen::Config c = config(dir, "kind: tokens, train_file: other.tok, val_file: '', tokenizer: byte", 8, 2);
  CHECK_THROWS_WITH(gen::open_data_source(c, torch::kCPU),
                    Catch::Contains("other.tok: written with another tokenizer") && Catch::Contains("data.tokenizer byte"));
  // nanoGPT's raw uint16 has no header: ids are checked as batches read them.
  std::vector<int64_t> ids(100, 7);
  ids[50] = 300;
  write_ids(dir / "train.bin", other, ids, gen::TokenFileLayout::kNanoGpt);
  c = config(dir, "kind: tokens, train_file: train.bin, val_file: '', tokenizer: byte", 98, 1);
  auto src = gen::open_data_source(c, torch::kCPU);
  CHECK_THROWS_WITH(src->batch_at(0), Catch::Contains("train.bin: token 50 is id 300, outside the tokenizer's vocabulary of 256"));
  c = config(dir, "kind: tokens, train_file: train.bin, val_file: val.bin, tokenizer: byte", 8, 1);
  CHECK_THROWS_WITH(gen::open_data_source(c, torch::kCPU), Catch::Contains("data.val_file") && Catch::Contains("val.bin: no such file"));
}

TEST_CASE("token source: a 4 GiB token file trains without being read into memory", "[data]") {
  TempDir dir;
  // A sparse file (no disk blocks): 2^31 ids, all 0, in nanoGPT's layout.
  const std::string path = dir / "big.bin";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, off_t(4) << 30) == 0);
  ::close(fd);
  gen::Config c = config(dir, "kind: tokens, train_file: big.bin, val_file: '', tokenizer: byte", 256, 64);
  const int64_t before = resident_bytes();
  auto src = gen::open_data_source(c, torch::kCPU);
  CHECK(src->describe().find("2147483648 training") != std::string::npos);
  for (int64_t step = 0; step < 200; ++step) CHECK(src->batch_at(step).x.sum().item<int64_t>() == 0);
  // 200 batches of 64 windows touch at most 2 pages each: 100 MiB at most, far from 4 GiB.
  CHECK(resident_bytes() - before < (int64_t(150) << 20));
}
