// data.kind -> DataSource. Image kinds share one source; text has its own.
#include "config/config.h"
#include "data/data_source.h"
#include "util/errors.h"

namespace gen {

std::unique_ptr<DataSource> open_image_source(const Config& config, torch::Device device);
std::unique_ptr<DataSource> open_text_source(const Config& config, torch::Device device);

std::unique_ptr<DataSource> open_data_source(const Config& config, torch::Device device) {
  const std::string& kind = config.data.kind;
  if (kind == "text") return open_text_source(config, device);
  if (kind == "mnist" || kind == "fashion_mnist" || kind == "idx" || kind == "image_folder") {
    return open_image_source(config, device);
  }
  throw ConfigError("data.kind: no data source for '" + kind + "'");
}

}  // namespace gen
