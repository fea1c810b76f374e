#include <catch2/catch.hpp>

#include "util/utf8.h"

TEST_CASE("utf8: well-formed text passes, and each ill-formed byte is found and replaced by U+FFFD", "[util]") {
  CHECK(gen::first_invalid_utf8("plain ASCII\n") == std::string::npos);
  CHECK(gen::first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == std::string::npos);  // é € 😀
  CHECK(gen::first_invalid_utf8("caf\xE9!") == 3);                                                   // Latin-1 é
  CHECK(gen::first_invalid_utf8("ab\xC0\xAF") == 2);                                                 // overlong '/'
  CHECK(gen::first_invalid_utf8("\xED\xA0\x80") == 0);                  // a UTF-16 surrogate
  CHECK(gen::first_invalid_utf8("\xF4\x90\x80\x80") == 0);              // above U+10FFFF
  CHECK(gen::first_invalid_utf8("ok\xE2\x82") == 2);                    // cut short at the end
  CHECK(gen::first_invalid_utf8(std::string("\x1f\x8b\x08", 3)) == 1);  // a gzip header
  CHECK(gen::to_valid_utf8("caf\xE9!") == "caf\xEF\xBF\xBD!");
  CHECK(gen::to_valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(gen::first_invalid_utf8(gen::to_valid_utf8("\xFF\xFE\xC3")) == std::string::npos);
}

TEST_CASE("utf8: code points decode by the same strict rules, each bad byte one U+FFFD, and encode back", "[util]") {
  using cps = std::vector<uint32_t>;
  CHECK(gen::utf8_code_points("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == cps{'a', 0xE9, 0x20AC, 0x1F600});
  CHECK(gen::utf8_code_points("a\xFF"
                              "b") == cps{'a', 0xFFFD, 'b'});
  CHECK(gen::utf8_code_points("\xE2\x82") == cps{0xFFFD, 0xFFFD});        // cut short
  CHECK(gen::utf8_code_points("\xC0\xAF") == cps{0xFFFD, 0xFFFD});        // overlong '/', not '/'
  CHECK(gen::utf8_code_points("\xED\xA0\x80") == cps{0xFFFD, 0xFFFD, 0xFFFD});  // a surrogate, not U+D800
  for (const uint32_t cp : {0x24u, 0xE9u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFDu, 0x10000u, 0x10FFFFu}) {
    INFO("U+" << std::hex << cp);
    CHECK(gen::utf8_code_points(gen::utf8_encode(cp)) == cps{cp});
  }
}
