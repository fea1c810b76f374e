#include <catch2/catch.hpp>

#include "core/tokenizer.h"
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

