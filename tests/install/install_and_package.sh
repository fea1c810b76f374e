#!/usr/bin/env bash
# `cmake --install` and `cpack -G DEB` from a build folder: the installed gen runs from another
# folder and finds the shipped configs by name; the .deb holds /usr/bin/gen and the configs,
# depends on Debian's runtime packages, and its extracted gen works the same way. The .deb is
# made only when gen links Debian's LibTorch (TORCH_IS_SYSTEM 1): a pip wheel's LibTorch is no
# Debian package to depend on, and the installed gen finds it through its RUNPATH instead.
# usage: install_and_package.sh BUILD_DIR TORCH_IS_SYSTEM
set -euo pipefail
build=$(cd "$1" && pwd)
torch_is_system=${2:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log"
[[ -x $tmp/prefix/bin/gen ]] || { echo "no bin/gen after cmake --install"; exit 1; }
[[ -f $tmp/prefix/share/gen/configs/dcgan_mnist.yaml ]] || { echo "configs not installed"; exit 1; }
cd "$tmp"  # no configs/ here: the name must resolve to the installed copy
"$tmp/prefix/bin/gen" config show dcgan_mnist > show.txt
grep -q "kind: dcgan" show.txt || { echo "gen config show dcgan_mnist did not print the DCGAN config"; exit 1; }
if "$tmp/prefix/bin/gen" config show no_such_config > err.txt 2>&1; then echo "an unknown name was accepted"; exit 1; fi
grep -q "no_such_config: no such config file, and none named so in configs/no_such_config.yaml, $tmp/prefix/share/gen/configs/no_such_config.yaml" err.txt ||
  { echo "unexpected message:"; cat err.txt; exit 1; }

# Without data, the installed gen names the installed fetcher, which writes under the current folder.
[[ -x $tmp/prefix/share/gen/get_data.sh ]] || { echo "get_data.sh not installed"; exit 1; }
if "$tmp/prefix/bin/gen" train tiny/transformer --set train.steps=1 > nodata.txt 2>&1; then echo "trained without data"; exit 1; fi
grep -q "run $tmp/prefix/share/gen/get_data.sh shakespeare" nodata.txt || { echo "unexpected message:"; cat nodata.txt; exit 1; }

if [[ $torch_is_system != 1 ]]; then
  echo "install: ok (no .deb: gen links a LibTorch that is not a Debian package)"
  exit 0
fi
(cd "$build" && cpack -G DEB -B "$tmp/pkg" > "$tmp/cpack.log") || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/pkg/*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
echo "$(basename "$deb"): Depends: $depends"
for want in libtorch libopencv-core libyaml-cpp libopenblas0-pthread; do
  [[ $depends == *"$want"* ]] || { echo "Depends lacks $want"; exit 1; }
done
dpkg-deb -c "$deb" > "$tmp/contents.txt"
grep -q "./usr/bin/gen$" "$tmp/contents.txt" || { echo "no /usr/bin/gen in the package"; exit 1; }
grep -q "./usr/share/gen/configs/tiny/dcgan.yaml$" "$tmp/contents.txt" || { echo "no configs in the package"; exit 1; }
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/gen" config show tiny/dcgan | grep -q "latent_dim: 8" || { echo "the packaged gen cannot find its configs"; exit 1; }
echo "install and package: ok"
