// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), and the "masked" form TFRecord files
// store: a CRC of data that itself holds CRCs is a poor checksum, so each is rotated and offset.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gen {

uint32_t crc32c(const void* data, size_t size);
// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TensorFlow's record writer masks it.
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace gen
