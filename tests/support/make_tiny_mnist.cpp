// make_tiny_mnist DIR [N] [SIZE]: writes a tiny learnable MNIST-layout data set for scripts.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "support/idx_writer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_tiny_mnist DIR [N] [SIZE]\n";
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  gen::test::write_tiny_mnist(argv[1], argc > 2 ? std::atoll(argv[2]) : 64, argc > 3 ? std::atoll(argv[3]) : 28);
  return 0;
}
