#include "core/tokenizer_json.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/byte_level.h"
#include "util/errors.h"
#include "util/utf8.h"

namespace gen {

namespace {

using Json = nlohmann::ordered_json;

Json byte_level_json(bool add_prefix_space, bool use_regex) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", add_prefix_space},
          {"trim_offsets", false},
          {"use_regex", use_regex}};
}

Json document(const Json& vocab, const Json& merges, const Json& added, const Json& pre_tokenizer,
              const Json& decoder, bool ignore_merges) {
  Json j = Json::object();
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = added;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = pre_tokenizer;
  j["post_processor"] = nullptr;
  j["decoder"] = decoder;
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", ignore_merges},
                {"vocab", vocab},
                {"merges", merges}};
  return j;
}

// Reading: every check names the key.
class Reader {
 public:
  explicit Reader(const std::string& where) : where_(where) {}
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw DataError(where_ + ": " + key + ": " + what);
  }
  const Json& field(const Json& obj, const char* key, const std::string& path) const {
    if (!obj.is_object() || !obj.contains(key)) fail(path + key, "missing");
    return obj.at(key);
  }
  bool flag(const Json& obj, const char* key, const std::string& path, bool fallback) const {
    if (!obj.contains(key) || obj.at(key).is_null()) return fallback;
    if (!obj.at(key).is_boolean()) fail(path + key, "expected true or false");
    return obj.at(key).get<bool>();
  }
  void require_unset(const Json& obj, const char* key, const std::string& path, const std::string& why) const {
    if (!obj.contains(key)) return;
    const Json& v = obj.at(key);
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty()) || (v.is_boolean() && !v.get<bool>())) return;
    fail(path + key, "is set (" + v.dump().substr(0, 40) + "); " + why);
  }

 private:
  std::string where_;
};

std::string json_type(const Json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "?";
}

}  // namespace

BpeModel read_bpe_tokenizer_json(std::string_view text, const std::string& where) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw DataError(where + ": not JSON (" + std::string(e.what()).substr(0, 120) + ")");
  }
  const Reader r(where);
  if (!j.is_object()) r.fail("(top level)", "expected a JSON object (a tokenizers tokenizer.json)");
  const std::string supported = "gen reads byte-level BPE tokenizers (GPT-2's kind)";
  BpeModel m;

  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    r.fail("normalizer", json_type(j["normalizer"]) + " is not supported: " + supported + ", without a normalizer");
  }
  const Json& pre = r.field(j, "pre_tokenizer", "");
  if (json_type(pre) != "ByteLevel") {
    r.fail("pre_tokenizer", json_type(pre) + " is not supported: " + supported + ", pre-tokenizer ByteLevel");
  }
  m.add_prefix_space = r.flag(pre, "add_prefix_space", "pre_tokenizer.", true);
  m.use_regex = r.flag(pre, "use_regex", "pre_tokenizer.", true);

  const Json& model = r.field(j, "model", "");
  if (model.contains("type") && json_type(model) != "BPE") {
    r.fail("model.type", json_type(model) + " is not supported: " + supported);
  }
  r.require_unset(model, "dropout", "model.", "BPE dropout is for training, gen encodes deterministically");
  r.require_unset(model, "continuing_subword_prefix", "model.", "byte-level BPE has no subword prefix");
  r.require_unset(model, "end_of_word_suffix", "model.", "byte-level BPE has no word suffix");
  m.ignore_merges = r.flag(model, "ignore_merges", "model.", false);

  // Ids from the vocabulary and the added tokens; together they must name 0..n-1 once each.
  std::map<int64_t, std::string> by_id;
  const auto add_id = [&](const std::string& key, int64_t id, const std::string& token) {
    if (id < 0 || id > (int64_t(1) << 24)) r.fail(key, "id " + std::to_string(id) + " is outside [0, 2^24]");
    const auto [it, fresh] = by_id.emplace(id, token);
    if (!fresh && it->second != token) r.fail(key, "id " + std::to_string(id) + " is given to two tokens");
  };
  const Json& vocab = r.field(model, "vocab", "model.");
  if (!vocab.is_object()) r.fail("model.vocab", "expected an object of token: id");
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer()) r.fail("model.vocab", "the id of '" + token + "' is not an integer");
    add_id("model.vocab", id.get<int64_t>(), token);
  }
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    const Json& added = j["added_tokens"];
    if (!added.is_array()) r.fail("added_tokens", "expected an array");
    for (size_t i = 0; i < added.size(); ++i) {
      const Json& a = added[i];
      const std::string key = "added_tokens[" + std::to_string(i) + "]";
      const Json& id = r.field(a, "id", key + ".");
      const Json& content = r.field(a, "content", key + ".");
      if (!id.is_number_integer() || !content.is_string()) r.fail(key, "expected an integer id and a string content");
      for (const char* option : {"single_word", "lstrip", "rstrip"}) {
        r.require_unset(a, option, key + ".", "gen matches added tokens verbatim");
      }
      AddedToken t{static_cast<int32_t>(id.get<int64_t>()), content.get<std::string>(), r.flag(a, "special", key + ".", true)};
      add_id(key + ".id", t.id, t.content);
      m.added.push_back(std::move(t));
    }
  }
  if (by_id.empty()) r.fail("model.vocab", "is empty");
  if (by_id.rbegin()->first != static_cast<int64_t>(by_id.size()) - 1) {
    r.fail("model.vocab", "ids are not 0.." + std::to_string(by_id.size() - 1) + " (the largest is " +
                              std::to_string(by_id.rbegin()->first) + ")");
  }
  for (auto& [id, token] : by_id) m.tokens.push_back(std::move(token));

  std::map<std::string, int32_t> id_of;
  for (size_t i = 0; i < m.tokens.size(); ++i) id_of.emplace(m.tokens[i], static_cast<int32_t>(i));
  const Json& merges = r.field(model, "merges", "model.");
  if (!merges.is_array()) r.fail("model.merges", "expected an array");
  for (size_t i = 0; i < merges.size(); ++i) {
    const Json& mg = merges[i];
    const std::string key = "model.merges[" + std::to_string(i) + "]";
    std::string a, b;
    if (mg.is_string()) {  // "a b", the format before tokenizers 0.20
      const std::string s = mg.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) r.fail(key, "expected \"left right\"");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string()) {
      a = mg[0].get<std::string>();
      b = mg[1].get<std::string>();
    } else {
      r.fail(key, "expected [\"left\", \"right\"]");
    }
    const auto ia = id_of.find(a), ib = id_of.find(b);
    if (ia == id_of.end() || ib == id_of.end()) {
      r.fail(key, "'" + (ia == id_of.end() ? a : b) + "' is not in model.vocab");
    }
    m.merges.emplace_back(ia->second, ib->second);
  }
  return m;
}

std::string bpe_tokenizer_json(const BpeModel& model, int indent) {
  Json vocab = Json::object();
  for (size_t id = 0; id < model.tokens.size(); ++id) vocab[model.tokens[id]] = id;
  Json merges = Json::array();
  for (const auto& [a, b] : model.merges) merges.push_back(Json::array({model.tokens[size_t(a)], model.tokens[size_t(b)]}));
  Json added = Json::array();
  for (const AddedToken& t : model.added) {
    added.push_back({{"id", t.id},
                     {"content", t.content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", t.special}});
  }
  const Json j = document(vocab, merges, added, byte_level_json(model.add_prefix_space, model.use_regex),
                          byte_level_json(false, true), model.ignore_merges);
  return j.dump(indent) + "\n";
}

std::string tokenizer_json(const Tokenizer& tokenizer) {
  if (const BpeTokenizer* bpe = tokenizer.bpe()) return bpe_tokenizer_json(bpe->model());
  const bool bytes = tokenizer.kind() == "byte";
  Json vocab = Json::object();
  if (bytes) {
    for (int b = 0; b < 256; ++b) vocab[utf8_encode(byte_level_char(uint8_t(b)))] = b;
  } else {
    int64_t id = 0;
    for (uint32_t cp : utf8_code_points(tokenizer.symbols())) vocab[utf8_encode(cp)] = id++;
  }
  const Json pre = bytes ? byte_level_json(false, false) : Json(nullptr);
  const Json decoder = bytes ? byte_level_json(false, false) : Json{{"type", "Fuse"}};
  return document(vocab, Json::array(), Json::array(), pre, decoder, false).dump(2) + "\n";
}

}  // namespace gen
