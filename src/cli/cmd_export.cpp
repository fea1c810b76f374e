// gen export --ckpt F [--format pt|safetensors] [--out F] [--no-ema] [--probe F]
// Writes a checkpoint's trained networks as plain state dicts Python opens without gen:
//   .pt           torch.load(F) -> {"model": state_dict, "model_args": {...}, "metadata": {...}}
//                 (a GAN: "generator" and "discriminator" instead of "model"), the layout of a
//                 nanoGPT ckpt.pt, written by LibTorch's pickler in torch.save's zip format;
//   .safetensors  one flat dict (a GAN's keys prefixed "generator." / "discriminator.") with
//                 the same facts as string metadata ("gen.config", "gen.model_args" as JSON, ...);
//   diffusers     a folder diffusers' from_pretrained loads (cli/export_diffusers.h);
//   hf            a folder transformers' from_pretrained loads, tokenizer included (cli/export_hf.h).
// --probe writes, per network, a fixed input and gen's output for it (a .pt dict), so a network
// rebuilt in other code can be checked against gen.
#include <caffe2/serialize/inline_container.h>
#include <spdlog/spdlog.h>
#include <fmt/ranges.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/export_diffusers.h"
#include "cli/export_hf.h"
#include "cli/load_model.h"
#include "cli/output_paths.h"
#include "cli/validators.h"
#include "io/safetensors.h"
#include "models/generative_model.h"
#include "models/registry.h"
#include "util/device.h"
#include "util/enum_names.h"
#include "util/errors.h"
#include "util/fs.h"
#include "util/threads.h"
#include "util/utf8.h"

namespace gen {

enum class ExportFormat { kPt, kSafetensors, kDiffusers, kHf };
template <>
struct EnumNames<ExportFormat> {
  static constexpr std::array<std::string_view, 4> names{"pt", "safetensors", "diffusers", "hf"};
};

namespace {

struct ExportCommand {
  std::string ckpt;
  std::string format;
  std::string out;
  std::string probe;
  bool no_ema = false;
};

// Whether NAME ends with TAIL, ignoring ASCII case (model.SAFETENSORS is a safetensors file).
bool ends_with(const std::string& name, const std::string& tail) {
  if (name.size() < tail.size()) return false;
  for (size_t i = 0; i < tail.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[name.size() - tail.size() + i])) != tail[i]) return false;
  }
  return true;
}

// --format, or the one --out's extension names; pt when neither says.
ExportFormat choose_format(const ExportCommand& cmd) {
  std::optional<ExportFormat> from_name;
  if (ends_with(cmd.out, ".safetensors")) from_name = ExportFormat::kSafetensors;
  if (ends_with(cmd.out, ".pt") || ends_with(cmd.out, ".pth")) from_name = ExportFormat::kPt;
  if (cmd.format.empty()) return from_name.value_or(ExportFormat::kPt);
  const ExportFormat asked = *enum_from_name<ExportFormat>(cmd.format);
  if (from_name && *from_name != asked) {
    throw UsageError("--out " + cmd.out + ": the name says " + enum_name(*from_name) + " but --format is " +
                     cmd.format);
  }
  return asked;
}

// torch::pickle_save's zip (torch.save's format: archive/data.pkl and archive/data/N), with the
// pickler's type tags off. Tagged, a typed Dict[str, Tensor] pickles as a call of
// torch.jit._pickle.restore_type_tag, a global that torch.load(weights_only=True) -- the
// default since torch 2.6 -- refuses; untagged it is a plain dict. Same calls on 1.13 and 2.x.
std::string torch_save_bytes(const c10::IValue& value) {
  std::vector<char> pickle;
  torch::jit::Pickler pickler([&](const char* bytes, size_t n) { pickle.insert(pickle.end(), bytes, bytes + n); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                              /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
    out.append(static_cast<const char*>(bytes), n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return out;
}

c10::impl::GenericDict string_dict() { return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get()); }

// Facts about the export every format carries: what the weights are and where they came from.
std::vector<std::pair<std::string, std::string>> export_metadata(const Checkpoint& ckpt, bool ema,
                                                                 const std::vector<ExportedNetwork>& nets) {
  std::string names;
  for (const ExportedNetwork& n : nets) names += (names.empty() ? "" : ",") + n.name;
  std::vector<std::pair<std::string, std::string>> meta{
      {"gen.version", GEN_VERSION},
      {"gen.kind", ckpt.config.model.kind},
      {"gen.step", std::to_string(ckpt.step)},
      {"gen.weights", ema ? "ema" : "raw"},
      {"gen.networks", names},
      {"gen.config", config_to_yaml(ckpt.config, /*comments=*/false)}};
  for (const ExportedNetwork& n : nets) {
    meta.emplace_back("gen.reference." + n.name, n.reference.empty() ? "gen (own names)" : n.reference);
  }
  if (ckpt.data.is_text()) {
    meta.emplace_back("gen.tokenizer", ckpt.data.text.tokenizer);
    meta.emplace_back("gen.vocabulary", ckpt.data.text.vocabulary);
  }
  return meta;
}

void write_pt(const std::string& path, const std::vector<ExportedNetwork>& nets,
              const std::vector<std::pair<std::string, std::string>>& meta) {
  c10::impl::GenericDict top = string_dict();
  for (const ExportedNetwork& n : nets) {
    c10::Dict<std::string, at::Tensor> state;
    for (const auto& [key, t] : n.tensors) state.insert(key, t);
    top.insert(n.name, state);
    if (!n.args.empty()) {
      c10::impl::GenericDict args = string_dict();
      for (const auto& [key, v] : n.args) args.insert(key, v);
      top.insert(n.name + "_args", args);
    }
  }
  c10::Dict<std::string, std::string> metadata;
  for (const auto& [key, value] : meta) metadata.insert(key, to_valid_utf8(value));  // a Python str is Unicode
  top.insert("metadata", metadata);
  write_file_atomic(path, torch_save_bytes(top));
}

void write_safetensors(const std::string& path, const std::vector<ExportedNetwork>& nets,
                       std::vector<std::pair<std::string, std::string>> meta) {
  const bool prefix = nets.size() > 1;
  std::vector<std::pair<std::string, torch::Tensor>> flat;
  for (const ExportedNetwork& n : nets) {
    for (const auto& [key, t] : n.tensors) flat.emplace_back(prefix ? n.name + "." + key : key, t);
    if (!n.args.empty()) {
      nlohmann::ordered_json args = nlohmann::ordered_json::object();
      for (const auto& [key, v] : n.args) args[key] = ivalue_json(v);
      meta.emplace_back("gen." + n.name + "_args", args.dump());
    }
  }
  meta.insert(meta.begin(), {"format", "pt"});  // what Hugging Face loaders expect to find
  write_file_atomic(path, safetensors_bytes(flat, meta));
}

void write_probe(const std::string& path, const std::vector<ExportedNetwork>& nets) {
  c10::impl::GenericDict top = string_dict();
  for (const ExportedNetwork& n : nets) {
    c10::Dict<std::string, at::Tensor> probe;
    for (const auto& [key, t] : n.probe) probe.insert(key, t);
    top.insert(n.name, probe);
  }
  write_file_atomic(path, torch_save_bytes(top));
}

void run_export(const ExportCommand& cmd) {
  const ExportFormat format = choose_format(cmd);
  std::vector<OutputFile> outputs;
  const bool folder = format == ExportFormat::kDiffusers || format == ExportFormat::kHf;
  if (!cmd.out.empty() && !folder) outputs.push_back({"--out", cmd.out});  // a folder: its own checks
  if (!cmd.probe.empty()) outputs.push_back({"--probe", cmd.probe});
  check_outputs(outputs, {cmd.ckpt});
  LoadedModel loaded = load_model(cmd.ckpt, torch::kCPU);
  Checkpoint& ckpt = loaded.checkpoint;
  std::unique_ptr<GenerativeModel>& model = loaded.model;
  configure_threads(ckpt.config.runtime.thread_request(), find_model_kind(ckpt.config).workload(ckpt.config));

  const bool ema = !cmd.no_ema && ckpt.config.train.ema > 0;
  const std::vector<ExportedNetwork> nets = model->exported_networks(!cmd.no_ema);
  const auto meta = export_metadata(ckpt, ema, nets);
  const std::string name = ckpt.config.name.empty() ? ckpt.config.model.kind : ckpt.config.name;
  const std::string out =
      cmd.out.empty() ? name + "_step" + std::to_string(ckpt.step) + (folder ? "_" : ".") +
                            enum_name(format)
                      : cmd.out;
  if (folder) {
    if (nets.size() != 1) {
      throw UsageError("--format " + enum_name(format) + ": writes " +
                       (format == ExportFormat::kHf ? "Transformer language models (model.kind transformer)"
                                                    : "diffusion models (model.kind diffusion)"));
    }
    const std::vector<std::string> files =
        format == ExportFormat::kHf
            ? write_hf_folder(out, nets.front(), ckpt.data.text, meta)
            : write_diffusers_folder(out, nets.front(), meta);
    spdlog::info("wrote {} ({}; {} tensors, {} weights, step {}): {}", out, enum_name(format),
                 nets.front().tensors.size(), ema ? "EMA" : "raw", ckpt.step, fmt::join(files, ", "));
    if (format == ExportFormat::kDiffusers) {
      for (const std::string& gap : diffusers_sampling_gaps(model->sampler_settings({}))) spdlog::warn("{}", gap);
    }
    if (!cmd.probe.empty()) {
      write_probe(cmd.probe, nets);
      spdlog::info("wrote {} (a fixed input per network and gen's output for it)", cmd.probe);
    }
    return;
  }
  if (cmd.out.empty()) {  // the default name is known now: the same checks
    outputs.insert(outputs.begin(), {"the default output", out});
    check_outputs(outputs, {cmd.ckpt});
  }
  if (format == ExportFormat::kPt) {
    write_pt(out, nets, meta);
  } else {
    write_safetensors(out, nets, meta);
  }
  int64_t tensors = 0;
  for (const ExportedNetwork& n : nets) tensors += int64_t(n.tensors.size());
  spdlog::info("wrote {} ({}, {} tensors, {} weights, step {})", out, enum_name(format), tensors,
               ema ? "EMA" : "raw", ckpt.step);
  for (const ExportedNetwork& n : nets) {
    spdlog::info("  {}: {}", n.name, n.reference.empty() ? "gen's own key names" : "keys of " + n.reference);
  }
  if (!cmd.probe.empty()) {
    write_probe(cmd.probe, nets);
    spdlog::info("wrote {} (a fixed input per network and gen's output for it)", cmd.probe);
  }
}

}  // namespace

void setup_export(CLI::App& app) {
  auto cmd = std::make_shared<ExportCommand>();
  CLI::App* sub = app.add_subcommand(
      "export", "Write a checkpoint's networks as a state dict Python loads (torch.load .pt, or .safetensors)");
  sub->add_option("--ckpt", cmd->ckpt, "checkpoint file (e.g. runs/NAME/checkpoints/latest.pt)")->required();
  sub->add_option("--format", cmd->format,
                  "pt (torch.load), safetensors, diffusers (a folder diffusers' from_pretrained loads; diffusion "
                  "models) or hf (a folder transformers' from_pretrained loads, tokenizer included; Transformer "
                  "models); default: from --out's name, else pt")
      ->check(CLI::IsMember({"pt", "safetensors", "diffusers", "hf"}));
  sub->add_option("--out", cmd->out,
                  "output file, or folder for diffusers and hf (default NAME_stepN.FORMAT or NAME_stepN_FORMAT in the "
                  "current folder)");
  sub->add_flag("--no-ema", cmd->no_ema, "export the raw weights even when the checkpoint has EMA weights");
  sub->add_option("--probe", cmd->probe,
                  "also write a .pt with a fixed input per network and gen's output for it, to check a rebuilt "
                  "network against");
  sub->callback([cmd] { run_export(*cmd); });
}

}  // namespace gen
