// What a model needs to know about its data, fixed once the data is loaded and stored in
// every checkpoint so `gen sample` can rebuild the model without the data. Image data fills
// `shape`, text fills `text`.
#pragma once

#include <cstdint>
#include <string>

namespace gen {

struct ImageShape {
  int64_t channels = 1;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;  // 0 = unlabelled
};

struct TextVocab {
  std::string tokenizer;   // char | byte
  std::string vocabulary;  // char tokenizer: its symbols, concatenated UTF-8
  int64_t vocab_size = 0;
  int64_t block_size = 0;  // tokens of context per window
};

struct DataSpec {
  ImageShape shape;  // image data
  TextVocab text;    // text data; text.tokenizer is empty for images

  bool is_text() const { return !text.tokenizer.empty(); }

  static DataSpec image(int64_t channels, int64_t height, int64_t width, int64_t num_classes = 0) {
    DataSpec s;
    s.shape = {channels, height, width, num_classes};
    return s;
  }
};

// What differs between the data a model was trained on and other data, as
// "channels: 1 -> 3; height: 28 -> 32" (text: the tokenizer and the vocabulary); "" when nothing does.
std::string data_differences(const DataSpec& before, const DataSpec& after);

}  // namespace gen
