// End-to-end: gen tokenizer train, gen tokenize, and a Transformer on BPE text and token files.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "support/run_gen.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using gen::test::read_text;
using gen::test::TempDir;
using namespace gen::test;

TEST_CASE("smoke: a BPE from gen tokenizer train, token files from gen tokenize: the Transformer trains on text or "
          "token files alike, resumes identically, and samples, evaluates and exports without the tokenizer file",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  std::string text;
  for (int i = 0; i < 6; ++i) text += tiny_text() + "MERCUTIO: a plague o' both your houses! " + std::to_string(i) + "\n";
  gen::test::write_text(dir / "data/input.txt", text);
  const std::string tok = dir / "tok.json";

  Run r = run_gen("tokenizer train " + (dir / "data/input.txt") + " --vocab-size 300 --out " + tok, dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("300 tokens, 44 merges"));
  const std::string first = read_text(tok);
  REQUIRE(run_gen("tokenizer train " + (dir / "data/input.txt") + " --vocab-size 300 --out " + (dir / "again.json"), dir).code == 0);
  CHECK(read_text(dir / "again.json") == first);  // deterministic

  r = run_gen("tokenize " + (dir / "data/input.txt") + " --tokenizer " + tok + " --out " + (dir / "data/train.tok") +
                  " --val-fraction 0.1 --val-out " + (dir / "data/val.tok"),
              dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("held out") && Catch::Contains("file tokenizer, vocabulary 300"));

  const std::string plain = "configs/tiny/transformer.yaml --set data.root=" + dir.path() + "/data --set out_dir=" +
                            dir.path() + "/runs";
  const std::string base = plain + " --set data.tokenizer=file --set data.tokenizer_file=" + tok;
  const std::string tokens = " --set data.kind=tokens --set data.train_file=train.tok --set data.val_file=val.tok";
  // The text kind with the BPE, and the token files of the same split: the same batches, the same run.
  REQUIRE(run_gen("train " + base + " --set name=from_text", dir).code == 0);
  r = run_gen("train " + base + tokens + " --set name=from_tokens", dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("memory-mapped"));
  CHECK(losses(read_text(dir / "runs/from_text/metrics.jsonl")) == losses(read_text(dir / "runs/from_tokens/metrics.jsonl")));
  CHECK_THAT(read_text(dir / "runs/from_tokens/metrics.jsonl"), Catch::Contains("\"val_bpb\":"));

  check_resumes_identically(base + tokens + " --steps 8", dir);

  // The checkpoint carries the tokenizer: nothing else is needed to sample, evaluate, export.
  fs::rename(tok, dir / "moved.json");
  const std::string ckpt = dir / "runs/from_tokens/checkpoints/latest.pt";
  r = run_gen("sample --ckpt " + ckpt + " --prompt 'MERCUTIO: a' --tokens 20 --seed 3 --out " + (dir / "s.txt"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(read_text(dir / "s.txt").rfind("MERCUTIO: a", 0) == 0);
  r = run_gen("export --ckpt " + ckpt + " --format hf --out " + (dir / "hf"), dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto exported = nlohmann::json::parse(read_text(dir / "hf/tokenizer.json"));
  CHECK(exported["model"]["merges"].size() == 44);
  CHECK(exported["model"]["merges"] == nlohmann::json::parse(first)["model"]["merges"]);

  // A data.tokenizer_file gen cannot encode as the library would, and a token file of another
  // tokenizer, are refused naming the file.
  auto j = nlohmann::json::parse(first);
  j["normalizer"] = {{"type", "Lowercase"}};
  gen::test::write_text(dir / "lower.json", j.dump());
  r = run_gen("train " + base + tokens + " --set name=lower --set data.tokenizer_file=" + (dir / "lower.json"), dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("data.tokenizer_file") && Catch::Contains("normalizer: Lowercase is not supported"));
  r = run_gen("train " + base + " --set name=missing --set data.tokenizer_file=" + (dir / "missing.json"), dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("missing.json: no such file (gen tokenizer train"));
  r = run_gen("train " + plain + tokens + " --set name=byte --set data.tokenizer=byte", dir);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("train.tok: written with another tokenizer"));
  CHECK_FALSE(fs::exists(dir / "runs/byte/checkpoints"));
}

TEST_CASE("smoke: under a data limit (ulimit -d) a text too large to tokenize in memory is refused in one line, "
          "gen tokenize writes it, and a 4 GiB token file trains",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  {  // 48 MiB of text: in memory it would take 9 bytes a byte (the text and its int64 ids)
    std::string line;
    for (int i = 0; i < 1024; ++i) line += char('a' + i % 26);
    line += "\n";
    FILE* f = std::fopen((dir / "data/input.txt").c_str(), "wb");
    REQUIRE(f);
    for (int i = 0; i < 48 * 1024; ++i) std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
  const std::string limit = "ulimit -d 400000; ";  // KiB: LibTorch and the tiny model fit, 9 x 48 MiB does not
  const std::string run = "train configs/tiny/transformer.yaml --set out_dir=" + dir.path() + "/runs --set data.root=" +
                          dir.path() + "/data --set data.tokenizer=byte";
  Run r = run_gen(run + " --set name=text", dir, limit);
  INFO(r.output);
  CHECK(r.code == 4);
  CHECK_THAT(r.output, Catch::Contains("input.txt: 48.") && Catch::Contains("gen tokenize, data.kind tokens"));

  r = run_gen("tokenize " + (dir / "data/input.txt") + " --tokenizer byte --out " + (dir / "data/text.tok"), dir, limit);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(fs::file_size(dir / "data/text.tok") == 64 + 2 * 48 * 1024 * 1025);  // the header, then a uint16 per byte
  r = run_gen(run + " --set name=tokens --set data.kind=tokens --set data.train_file=text.tok --set \"data.val_file=''\"",
              dir, limit);
  INFO(r.output);
  CHECK(r.code == 0);

  // 2^31 ids (a sparse 4 GiB file of zeros, nanoGPT's layout): ten times the limit, memory-mapped.
  fs::create_directories(dir / "big");
  {
    FILE* f = std::fopen((dir / "big/train.bin").c_str(), "wb");
    REQUIRE(f);
    std::fclose(f);
  }
  fs::resize_file(dir / "big/train.bin", uintmax_t(4) << 30);
  r = run_gen("train configs/tiny/transformer.yaml --set out_dir=" + dir.path() + "/runs --set name=big --set data.root=" +
                  dir.path() + "/big --set data.tokenizer=byte --set data.kind=tokens --set \"data.val_file=''\"",
              dir, limit);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("2147483648 training") && Catch::Contains("done: 6 steps"));
}

TEST_CASE("smoke: gen tokenize --separator writes a special token's id after each file, and refuses one the "
          "tokenizer does not have",
          "[smoke]") {
  TempDir dir;
  gen::test::write_text(dir / "a.txt", "first document\n");
  gen::test::write_text(dir / "b.txt", "second one\n");
  gen::test::write_text(dir / "all.txt", tiny_text());
  REQUIRE(run_gen("tokenizer train " + (dir / "all.txt") + " --vocab-size 280 --special-token '<|endoftext|>' --out " +
                      (dir / "t.json"),
                  dir)
              .code == 0);
  const auto j = nlohmann::json::parse(read_text(dir / "t.json"));
  CHECK(j["added_tokens"][0]["content"] == "<|endoftext|>");
  CHECK(j["added_tokens"][0]["id"] == 0);
  Run r = run_gen("tokenize " + (dir / "a.txt") + " " + (dir / "b.txt") + " --tokenizer " + (dir / "t.json") +
                      " --separator '<|endoftext|>' --out " + (dir / "ab.tok"),
                  dir);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string bytes = read_text(dir / "ab.tok");
  const auto id_at = [&](size_t i) { return uint8_t(bytes[64 + 2 * i]) | (uint8_t(bytes[65 + 2 * i]) << 8); };
  const size_t n = (bytes.size() - 64) / 2;
  REQUIRE(n > 4);
  CHECK(id_at(n - 1) == 0);  // after the last file
  int separators = 0;
  for (size_t i = 0; i < n; ++i) separators += id_at(i) == 0;
  CHECK(separators == 2);  // and after the first
  r = run_gen("tokenize " + (dir / "a.txt") + " --tokenizer " + (dir / "t.json") + " --separator '<|x|>' --out " +
                  (dir / "x.tok"),
              dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--separator <|x|>: not an added token") && Catch::Contains("<|endoftext|>"));
  CHECK_FALSE(fs::exists(dir / "x.tok"));
}

TEST_CASE("smoke: Ctrl-C or SIGTERM while gen tokenize writes its token file exits 130 or 143 and leaves no file, "
          "not even the temporary one",
          "[smoke]") {
  TempDir dir;
  fs::create_directories(dir / "data");
  gen::test::write_text(dir / "data/small.txt", tiny_text() + tiny_text());
  REQUIRE(run_gen("tokenizer train " + (dir / "data/small.txt") + " --vocab-size 300 --out " + (dir / "tok.json"), dir)
              .code == 0);
  // About 40 MB of text: a BPE encodes it in seconds, so the signal lands while the file is written.
  std::string text;
  for (int i = 0; text.size() < (size_t(40) << 20); ++i) text += tiny_text() + std::to_string(i) + "\n";
  gen::test::write_text(dir / "data/big.txt", text);
  for (const auto& [sig, code] : {std::pair{"INT", 130}, std::pair{"TERM", 143}}) {
    INFO("SIG" << sig);
    fs::remove_all(dir / "out");
    fs::create_directories(dir / "out");
    // Waits for the temporary file to appear (the write has begun), then signals.
    const std::string job = "cd '" GEN_SOURCE_DIR "' && '" GEN_BINARY "' tokenize '" + dir / "data/big.txt" +
                            "' --tokenizer '" + dir / "tok.json" + "' --out '" + dir / "out/big.tok" + "' > '" +
                            dir / "log" + "' 2>&1 & pid=$!; for i in $(seq 3000); do ls '" + dir / "out" +
                            "' | grep -q tmp && break; sleep 0.01; done; kill -" + sig + " $pid; wait $pid; echo $? > '" +
                            dir / "rc" + "'";
    REQUIRE(std::system(job.c_str()) == 0);
    INFO(read_text(dir / "log"));
    CHECK(std::stoi(read_text(dir / "rc")) == code);
    CHECK_THAT(read_text(dir / "log"), Catch::Contains(std::string("SIG") + sig + ": stopped; no partly written file"));
    CHECK(fs::is_empty(dir / "out"));
  }
}
