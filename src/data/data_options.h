// Each data kind's own keys under `data` (beside the common kind, root, split, image_size,
// batch_size), as a struct with a visit() like a model family's options: read and checked once
// when the config is resolved, with every default filled in. A kind without keys of its own
// uses NoDataOptions.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/field.h"
#include "config/options.h"
#include "config/yaml_reader.h"
#include "util/errors.h"

namespace gen {

// A requirement a kind's options place on the config: the key it concerns and what is wrong,
// or an empty key when all is well.
struct DataOptionsProblem {
  std::string key;  // under data, e.g. "images"
  std::string what;
};

struct NoDataOptions {
  template <class V>
  void visit(V& /*v*/) {}
  DataOptionsProblem problem(const DataConfig& /*data*/) const { return {}; }
};

// data.kind idx: IDX files of any size and shape inside data.root.
struct IdxOptions {
  std::string images;
  std::string labels;

  template <class V>
  void visit(V& v) {
    v("images", images, "image file inside root (.gz or raw): (N, H, W) or (N, H, W, C) unsigned bytes");
    v("labels", labels, "label file inside root (optional): N unsigned bytes");
  }
  DataOptionsProblem problem(const DataConfig& /*data*/) const {
    if (images.empty()) return {"images", "data.kind idx needs data.images (an IDX file inside data.root)"};
    return {};
  }
};

// data.kind image_folder: every PNG/JPEG under data.root; first-level sub-folders are classes.
struct ImageFolderOptions {
  int64_t channels = 3;
  bool strict = false;
  double val_fraction = 0.1;

  template <class V>
  void visit(V& v) {
    v("channels", channels, Doc("1 (grayscale) or 3 (RGB)").range(1, 3));
    v("strict", strict, "fail on an unreadable image or folder instead of skipping it (skips are logged by name)");
    v("val_fraction", val_fraction,
      Doc("fraction of the images held out for evaluation (gen eval, train.eval_every), each image chosen by a hash "
          "of its path inside root: adding or removing other files never moves an image between the splits; 0 = "
          "train on every image")
          .range(0, 0.9));
  }
  DataOptionsProblem problem(const DataConfig& data) const {
    if (data.image_size == 0) {
      return {"image_size",
              "data.kind image_folder needs data.image_size (images are resized and center-cropped to it)"};
    }
    if (channels == 2) return {"channels", "expected 1 (grayscale) or 3 (RGB), got 2"};
    return {};
  }
};

// data.tokenizer_file goes with data.tokenizer file, and only with it (the text and tokens kinds).
inline DataOptionsProblem tokenizer_file_problem(TokenizerKind tokenizer, const std::string& tokenizer_file) {
  if (tokenizer == TokenizerKind::kFile && tokenizer_file.empty()) {
    return {"tokenizer_file", "data.tokenizer file needs data.tokenizer_file (a tokenizer.json)"};
  }
  if (tokenizer != TokenizerKind::kFile && !tokenizer_file.empty()) {
    return {"tokenizer_file", "is set but data.tokenizer is not file"};
  }
  return {};
}

// data.kind text: one UTF-8 file, tokenized, its end held out.
struct TextOptions {
  std::string file = "input.txt";
  TokenizerKind tokenizer = TokenizerKind::kChar;
  std::string tokenizer_file;
  double val_fraction = 0.1;
  int64_t block_size = 64;

  template <class V>
  void visit(V& v) {
    v("file", file, "UTF-8 file inside root");
    v("tokenizer", tokenizer,
      "char (vocabulary from the text), byte (256 symbols) or file (a byte-level BPE tokenizer.json, "
      "data.tokenizer_file)");
    v("tokenizer_file", tokenizer_file,
      "with tokenizer file: a byte-level BPE tokenizer.json (gen tokenizer train, GPT-2's), relative to the "
      "working directory like data.root; the checkpoint keeps a copy");
    v("val_fraction", val_fraction, Doc("the last fraction of the text held out for validation").range(0, 0.9));
    v("block_size", block_size, Doc("tokens of context per training window").range(1, 65536));
  }
  DataOptionsProblem problem(const DataConfig& /*data*/) const {
    return tokenizer_file_problem(tokenizer, tokenizer_file);
  }
};

// data.kind tokens: token files (gen tokenize's, or nanoGPT's train.bin / val.bin), memory-mapped.
struct TokensOptions {
  std::string train_file = "train.bin";
  std::string val_file = "val.bin";
  TokenizerKind tokenizer = TokenizerKind::kFile;
  std::string tokenizer_file;
  int64_t block_size = 64;

  template <class V>
  void visit(V& v) {
    v("train_file", train_file,
      "token file inside root: gen tokenize's (a header names its tokenizer) or nanoGPT's raw uint16 .bin");
    v("val_file", val_file, "held-out token file inside root, the same kinds; \"\" = none");
    v("tokenizer", tokenizer,
      "the tokenizer the ids are of: file (data.tokenizer_file; nanoGPT's GPT-2 ids: GPT-2's tokenizer.json) or byte");
    v("tokenizer_file", tokenizer_file,
      "with tokenizer file: a byte-level BPE tokenizer.json, relative to the working directory; the checkpoint keeps "
      "a copy");
    v("block_size", block_size, Doc("tokens of context per training window").range(1, 65536));
  }
  DataOptionsProblem problem(const DataConfig& /*data*/) const {
    if (train_file.empty()) return {"train_file", "data.kind tokens needs data.train_file (a token file inside root)"};
    if (tokenizer == TokenizerKind::kChar) {
      return {"tokenizer", "data.kind tokens reads ids of a byte or file tokenizer (char vocabularies come from a text)"};
    }
    return tokenizer_file_problem(tokenizer, tokenizer_file);
  }
};

// The options of `data` as the kind's struct (after resolve_data_options: every key is there).
// Throws ConfigError for a key the kind does not have.
template <class Options>
Options data_options(const DataConfig& data, const ConfigSource* source = nullptr) {
  return read_options<Options>(data.options, "data", source);
}

// Collects the names of the keys a visit() declares.
struct KeyNames {
  std::vector<std::string> names;
  template <class T>
  void operator()(const char* key, const T& /*value*/, const Doc& /*doc*/) {
    names.emplace_back(key);
  }
  void rest(const YAML::Node& /*options*/, const YAML::Node& /*docs*/ = YAML::Node()) {}
};

// The names of a kind's own keys.
template <class Options>
std::vector<std::string> data_option_names() {
  KeyNames collector;
  Options defaults;
  defaults.visit(collector);
  return collector.names;
}

// The kind's keys read from RAW (with source marks for messages), checked, and written back
// with every default filled in. Throws ConfigError.
template <class Options>
YAML::Node resolve_data_options_as(const DataConfig& data, const YAML::Node& raw, const ConfigSource* source) {
  static const std::vector<std::string> common = [] {
    KeyNames names;
    DataConfig().visit(names);
    return names.names;
  }();
  Options options = read_options<Options>(raw, "data", source, common);
  if (const DataOptionsProblem p = options.problem(data); !p.key.empty()) {
    const YAML::Node at = raw.IsMap() ? raw[p.key] : YAML::Node();
    const std::string path = "data." + p.key;
    throw ConfigError(describe_location(source, at.IsDefined() ? at : YAML::Node(), path) + ": " + path + ": " +
                      p.what);
  }
  return options_yaml(options);
}

// "data.key = default  # help" lines for `gen config keys`.
template <class Options>
std::vector<std::string> data_option_lines() {
  return option_lines<Options>("data");
}

}  // namespace gen
