#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "core/byte_level.h"
#include "core/tokenizer.h"
#include "core/tokenizer_json.h"
#include "util/errors.h"

TEST_CASE("tokenizer: char vocabulary is the sorted set of the text's code points", "[data]") {
  const gen::Tokenizer t = gen::Tokenizer::build("char", "hello, wörld\n");
  CHECK(t.vocab_size() == 11);  // \n space , d e h l o r w ö
  CHECK(t.symbols() == "\n ,dehlorwö");
  const auto ids = t.encode("höll");
  CHECK(ids == std::vector<int64_t>{5, 10, 6, 6});
  CHECK(t.decode(ids) == "höll");
  // Restoring from the symbols gives the same ids.
  CHECK(gen::Tokenizer::restore("char", t.symbols()).encode("world") == t.encode("world"));
  CHECK(t.token_bytes() == std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2});  // ö is two bytes
  CHECK(gen::Tokenizer::build("byte", "").token_bytes() == std::vector<int64_t>(256, 1));
}

TEST_CASE("tokenizer: unknown characters are named once each", "[data]") {
  const gen::Tokenizer t = gen::Tokenizer::build("char", "abc");
  CHECK_THROWS_AS(t.encode("abz"), gen::DataError);
  CHECK_THROWS_WITH(t.encode("xaxyé"), Catch::Contains("'x', 'y', 'é'") && Catch::Contains("vocabulary"));
}

TEST_CASE("tokenizer: byte tokenizer has 256 symbols and round-trips any bytes", "[data]") {
  const gen::Tokenizer t = gen::Tokenizer::build("byte", "ignored");
  CHECK(t.vocab_size() == 256);
  const std::string s = std::string("\x00\xff\xc3(", 4);
  CHECK(t.encode(s) == std::vector<int64_t>{0, 255, 195, 40});
  CHECK(t.decode(t.encode(s)) == s);
}


TEST_CASE("tokenizer.json: byte-level characters are GPT-2's, every vocabulary symbol keeps gen's id", "[tokenizer]") {
  std::set<uint32_t> chars;
  for (int b = 0; b < 256; ++b) chars.insert(gen::byte_level_char(uint8_t(b)));
  CHECK(chars.size() == 256);
  CHECK(gen::byte_level_char('A') == 'A');
  CHECK(gen::byte_level_char(' ') == 0x120);   // GPT-2's "Ġ"
  CHECK(gen::byte_level_char('\n') == 0x10A);  // "Ċ"
  CHECK(gen::byte_level_char(0) == 0x100);
  CHECK(gen::byte_level_char(0xAD) == 0x143);  // the soft hyphen is not printable: the last of the moved
  CHECK(gen::byte_level_char(0xFF) == 0xFF);

  const auto json = nlohmann::json::parse(gen::tokenizer_json(gen::Tokenizer::build("char", "hello\n")));
  const auto& vocab = json["model"]["vocab"];
  CHECK(vocab.size() == 5);
  CHECK(vocab["\n"] == 0);
  CHECK(vocab["e"] == 1);
  CHECK(vocab["o"] == 4);
  CHECK(json["decoder"]["type"] == "Fuse");
  const auto bytes = nlohmann::json::parse(gen::tokenizer_json(gen::Tokenizer::build("byte", "")));
  CHECK(bytes["model"]["vocab"].size() == 256);
  CHECK(bytes["model"]["vocab"]["\xC4\xA0"] == 32);  // "Ġ" is the space
  CHECK(bytes["pre_tokenizer"]["type"] == "ByteLevel");
}
