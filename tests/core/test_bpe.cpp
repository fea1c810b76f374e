// Byte-level BPE: GPT-2's split, encoding by merge rank, training, tokenizer.json, token files.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/bpe.h"
#include "core/bpe_trainer.h"
#include "core/byte_level.h"
#include "core/tokenizer.h"
#include "core/tokenizer_json.h"
#include "io/token_file.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/utf8.h"

namespace {

std::vector<std::string> pieces(std::string_view text) {
  std::vector<std::string> out;
  gen::for_each_gpt2_piece(text, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}

// The 256 bytes as ids 0..255 (id = byte), then `extra` tokens (byte-level spelling = ASCII here).
gen::BpeModel byte_model(const std::vector<std::string>& extra, const std::vector<std::pair<std::string, std::string>>& merges) {
  gen::BpeModel m;
  for (int b = 0; b < 256; ++b) m.tokens.push_back(gen::utf8_encode(gen::byte_level_char(uint8_t(b))));
  for (const std::string& t : extra) m.tokens.push_back(t);
  const auto id = [&](const std::string& t) {
    for (size_t i = 0; i < m.tokens.size(); ++i) {
      if (m.tokens[i] == t) return int32_t(i);
    }
    FAIL("no token " << t);
    return int32_t(-1);
  };
  for (const auto& [a, b] : merges) m.merges.emplace_back(id(a), id(b));
  return m;
}

}  // namespace

TEST_CASE("bpe: GPT-2's regex split, letters, numbers, contractions and white space", "[tokenizer]") {
  using V = std::vector<std::string>;
  CHECK(pieces("Hello world") == V{"Hello", " world"});
  CHECK(pieces("it's they're I'M") == V{"it", "'s", " they", "'re", " I", "'", "M"});  // case-sensitive
  CHECK(pieces("a  b") == V{"a", " ", " b"});         // the space before a word stays with it
  CHECK(pieces("a\n\n b") == V{"a", "\n\n", " b"});   // \s+(?!\S) backs off one character
  CHECK(pieces("a \n") == V{"a", " \n"});             // white space at the end: all of it
  CHECK(pieces("x\ty") == V{"x", "\t", "y"});         // one white space before a word: alone
  CHECK(pieces("abc123 456!!? ?x") == V{"abc", "123", " 456", "!!?", " ?", "x"});
  CHECK(pieces("naïve Ωμέγα ４２") == V{"naïve", " Ωμέγα", " ４２"});  // Unicode letters and numbers
  CHECK(pieces("a\u3000b") == V{"a", "\u3000", "b"});  // ideographic space is white space
  CHECK(pieces(std::string("a\xff\xfe b", 5)) == V{"a", "\xff\xfe", " b"});  // ill-formed bytes: no class
  std::string all;
  for (const std::string& p : pieces("Mixed: 'll 99 \t\n  end  ")) all += p;
  CHECK(all == "Mixed: 'll 99 \t\n  end  ");
}

TEST_CASE("bpe: merges apply by rank, leftmost first on a tie", "[tokenizer]") {
  const gen::BpeTokenizer abc(byte_model({"ab", "bc", "abc"}, {{"a", "b"}, {"ab", "c"}, {"b", "c"}}), "test");
  CHECK(abc.encode("abc") == std::vector<int64_t>{258});  // (a,b) first, then (ab,c)
  const gen::BpeTokenizer bc(byte_model({"ab", "bc", "abc"}, {{"b", "c"}, {"a", "b"}, {"ab", "c"}}), "test");
  CHECK(bc.encode("abc") == std::vector<int64_t>{'a', 257});  // (b,c) ranks first: no "abc"
  const gen::BpeTokenizer aa(byte_model({"aa"}, {{"a", "a"}}), "test");
  CHECK(aa.encode("aaa") == std::vector<int64_t>{256, 'a'});  // the leftmost pair of a run
  CHECK(aa.decode(aa.encode("a aaa\xff")) == "a aaa\xff");
}

TEST_CASE("bpe: added tokens are matched before the split, longest first", "[tokenizer]") {
  gen::BpeModel m = byte_model({"<|eot|>", "<|eot|>!"}, {});
  m.added = {{256, "<|eot|>", true}, {257, "<|eot|>!", true}};
  const gen::BpeTokenizer t(m, "test");
  CHECK(t.encode("a<|eot|>b<|eot|>!") == std::vector<int64_t>{'a', 256, 'b', 257});
  CHECK(t.decode({256}) == "<|eot|>");
  CHECK(t.token_text()[256] == "<|eot|>");
}

TEST_CASE("bpe trainer: the most frequent pair first, then the smaller ids, the vocabulary size is kept", "[tokenizer]") {
  gen::BpeTrainer trainer;
  trainer.add_text("aaab aaab xy\nxy xy\n");
  const gen::BpeModel m = trainer.train(259);
  REQUIRE(m.tokens.size() == 259);
  REQUIRE(m.merges.size() == 3);
  // Counts: (a,a) 4, (a,b) 2, (Ġ,a) 1, (x,y) 3 and (Ġ,x) 2: (a,a) then (x,y); then (aa,a) 2 ties
  // (a,b) 2, (Ġ,x) 2 and (aa,b) 2: the smallest ids win, "Ġ" (U+0120) sorts after the letters.
  CHECK(m.tokens[256] == "aa");
  CHECK(m.tokens[257] == "xy");
  CHECK(m.tokens[258] == "ab");
  // The alphabet: the 256 byte-level characters by code point ('!' first, U+0143 last).
  CHECK(m.tokens[0] == "!");
  CHECK(m.tokens[255] == gen::utf8_encode(0x143));
  // Deterministic, and what it encodes decodes back, any bytes included.
  CHECK(gen::bpe_tokenizer_json(trainer.train(259)) == gen::bpe_tokenizer_json(m));
  const gen::BpeTokenizer t(m, "trained");
  const std::string odd("aaab xy \xc3\x28 \x00!", 13);
  CHECK(t.decode(t.encode(odd)) == odd);
  CHECK(t.encode("aaab") == std::vector<int64_t>{256, 258});  // aa, then (a,b): (aa,a) is no merge
}

TEST_CASE("tokenizer.json: a BPE written and read back encodes the same, a Tokenizer restores from its symbols", "[tokenizer]") {
  gen::BpeTrainer trainer;
  trainer.add_text("the cat sat on the mat; the cat's hat\nthe dog 42 dogs\n");
  const gen::BpeModel m = trainer.train(270);
  const gen::Tokenizer tok = gen::Tokenizer::from_json(gen::bpe_tokenizer_json(m), "test");
  CHECK(tok.kind() == "file");
  CHECK(tok.vocab_size() == 270);
  const std::string text = "the cats sat on 42 mats";
  const gen::BpeTokenizer direct(m, "direct");
  CHECK(tok.encode(text) == direct.encode(text));
  const gen::Tokenizer again = gen::Tokenizer::restore("file", tok.symbols());
  CHECK(again.encode(text) == tok.encode(text));
  CHECK(again.symbols() == tok.symbols());
  int64_t bytes = 0;
  for (int64_t id : tok.encode(text)) bytes += tok.token_bytes()[size_t(id)];
  CHECK(bytes == int64_t(text.size()));
  // The old merges format ("a b") reads too.
  auto j = nlohmann::json::parse(gen::bpe_tokenizer_json(m));
  auto& merges = j["model"]["merges"];
  for (auto& mg : merges) mg = mg[0].get<std::string>() + " " + mg[1].get<std::string>();
  CHECK(gen::Tokenizer::from_json(j.dump(), "old").encode(text) == tok.encode(text));
}

TEST_CASE("tokenizer.json: what gen cannot encode as the library does is refused by key", "[tokenizer]") {
  gen::BpeTrainer trainer;
  trainer.add_text("abababab cdcd\n");
  const auto good = nlohmann::json::parse(gen::bpe_tokenizer_json(trainer.train(260)));
  const auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& words) {
    nlohmann::json j = good;
    edit(j);
    CHECK_THROWS_WITH(gen::read_bpe_tokenizer_json(j.dump(), "tok.json"), Catch::Contains("tok.json") && Catch::Contains(words));
  };
  refused([](auto& j) { j["normalizer"] = {{"type", "NFC"}}; }, "normalizer: NFC is not supported");
  refused([](auto& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }, "pre_tokenizer: Whitespace");
  refused([](auto& j) { j["model"]["type"] = "WordPiece"; }, "model.type: WordPiece");
  refused([](auto& j) { j["model"]["dropout"] = 0.1; }, "model.dropout");
  refused([](auto& j) { j["model"]["merges"][0][1] = "zz"; }, "model.merges[0]: 'zz' is not in model.vocab");
  refused([](auto& j) { j["model"]["vocab"]["extra"] = 999; }, "model.vocab: ids are not 0..");
  refused([](auto& j) { j["added_tokens"] = {{{"id", 300}, {"content", "<x>"}, {"lstrip", true}}}; }, "added_tokens[0].lstrip");
  CHECK_THROWS_WITH(gen::read_bpe_tokenizer_json("{not json", "tok.json"), Catch::Contains("tok.json: not JSON"));
  // A vocabulary without every byte is no byte-level BPE.
  nlohmann::json j = good;
  j["model"]["vocab"].erase("!");
  j["model"]["vocab"]["renamed"] = 0;
  CHECK_THROWS_WITH(gen::Tokenizer::from_json(j.dump(), "tok.json"), Catch::Contains("byte-level"));
}

TEST_CASE("bpe: a text encoded in parts cut at safe places gives the ids of the whole", "[tokenizer]") {
  gen::BpeTrainer trainer;
  const std::string text = "First line\n\n  Second, with  spaces\n\tThird\nFourth 'll\n  \nFifth\n";
  trainer.add_text(text);
  gen::BpeModel m = trainer.train(300);
  for (bool prefix : {false, true}) {
    m.add_prefix_space = prefix;
    const gen::Tokenizer tok = gen::Tokenizer::from_json(gen::bpe_tokenizer_json(m), "t");
    std::vector<int64_t> parts;
    std::string_view rest = text;
    bool first = true;
    while (!rest.empty()) {  // cut at the first safe place each time: as many parts as possible
      size_t cut = tok.safe_cut(rest.substr(0, rest.find('\n', 1) + 2 <= rest.size() ? rest.find('\n', 1) + 2 : rest.size()));
      if (cut == 0 || cut >= rest.size()) cut = rest.size();
      tok.encode_part(rest.substr(0, cut), first, parts);
      rest.remove_prefix(cut);
      first = false;
    }
    CHECK(parts == tok.encode(text));
  }
  CHECK(gen::gpt2_safe_cut("ab\n cd") == 0);  // a space after the newline joins the next word
  CHECK(gen::gpt2_safe_cut("ab\ncd\n\nx") == 7);
}

TEST_CASE("token file: ids written read back through the mapping, the header checked", "[tokenizer]") {
  const std::string dir = "/tmp/gen_test_token_file_" + std::to_string(::getpid());
  gen::make_dirs(dir);
  gen::TokenFileHeader h;
  h.vocab_size = 70000;  // needs 4 bytes per id
  h.tokenizer_kind = "file";
  h.tokenizer_crc = 0xDEADBEEF;
  const std::vector<int64_t> ids{0, 1, 65535, 65536, 69999};
  const gen::TokenFileHeader w = gen::write_token_file(dir + "/a.tok", h, gen::TokenFileLayout::kGen,
                                                      [&](gen::TokenFileWriter& out) { out.append(ids.data(), ids.size()); });
  CHECK(w.count == 5);
  CHECK(w.id_bytes == 4);
  {
    const gen::TokenFile f(dir + "/a.tok");
    CHECK(f.has_header());
    CHECK(f.header().tokenizer_kind == "file");
    CHECK(f.header().tokenizer_crc == 0xDEADBEEF);
    std::vector<int64_t> back(4);
    f.read(1, 4, back.data());
    CHECK(back == std::vector<int64_t>{1, 65535, 65536, 69999});
  }
  // nanoGPT's layout: raw uint16, no header.
  h.vocab_size = 50257;
  const std::vector<int64_t> small{7, 50256, 3};
  gen::write_token_file(dir + "/b.bin", h, gen::TokenFileLayout::kNanoGpt,
                        [&](gen::TokenFileWriter& out) { out.append(small.data(), small.size()); });
  {
    const gen::TokenFile f(dir + "/b.bin");
    CHECK(!f.has_header());
    CHECK(f.size() == 3);
    std::vector<int64_t> back(3);
    f.read(0, 3, back.data());
    CHECK(back == small);
  }
  // A truncated gen file and an odd-sized raw file are refused by name.
  std::string bytes;
  {
    FILE* in = std::fopen((dir + "/a.tok").c_str(), "rb");
    char buf[256];
    const size_t n = std::fread(buf, 1, sizeof(buf), in);
    std::fclose(in);
    bytes.assign(buf, n - 2);
  }
  gen::write_file_atomic(dir + "/cut.tok", bytes);
  CHECK_THROWS_WITH(gen::TokenFile(dir + "/cut.tok"), Catch::Contains("cut.tok") && Catch::Contains("truncated"));
  gen::write_file_atomic(dir + "/odd.bin", std::string("abc"));
  CHECK_THROWS_WITH(gen::TokenFile(dir + "/odd.bin"), Catch::Contains("odd.bin: an odd number of bytes"));
  gen::remove_tree(dir);
}
