// Binding of the compiler: compile_ttir, targets (profiles), SPIR-V disassembly, versions, and
// the reflection record <-> dict conversion used by the Triton plugin's metadata.
#include <pybind11/stl.h>

#include <cstring>

#include "common.h"
#include "compiler/compiler.h"
#include "target/target.h"

namespace tvkpy {

namespace {

const char* kindName(tvk::ArgInfo::Kind k) { return k == tvk::ArgInfo::Kind::Buffer ? "buffer" : "scalar"; }

py::bytes wordsToBytes(const std::vector<uint32_t>& words) {
  return py::bytes(reinterpret_cast<const char*>(words.data()), words.size() * sizeof(uint32_t));
}

std::vector<uint32_t> bytesToWords(const std::string& bytes) {
  if (bytes.size() % 4 != 0) throw CompileError("SPIR-V binary size is not a multiple of 4 bytes");
  std::vector<uint32_t> words(bytes.size() / 4);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  return words;
}

}  // namespace

py::dict reflectionToDict(const tvk::Reflection& r) {
  py::list args;
  for (const tvk::ArgInfo& a : r.args) {
    py::dict d;
    d["kind"] = kindName(a.kind);
    d["name"] = a.name;
    d["type"] = a.type;
    d["size"] = a.size;
    d["binding"] = a.binding;
    d["push_offset"] = a.pushOffset;
    d["read"] = a.read;
    d["written"] = a.written;
    d["alignment"] = a.alignment;
    d["max_elem_index"] = a.maxElemIndex;
    args.append(d);
  }
  py::dict d;
  d["entry"] = r.entry;
  d["args"] = args;
  d["push_constant_bytes"] = r.pushConstantBytes;
  d["workgroup_size"] = py::make_tuple(r.workgroupSize[0], r.workgroupSize[1], r.workgroupSize[2]);
  d["subgroup_size"] = r.subgroupSize;
  d["num_warps"] = r.numWarps;
  d["shared_bytes"] = r.sharedBytes;
  d["features"] = r.features;
  d["status_binding"] = r.statusBinding;
  d["addresses"] = r.addresses;
  d["debug_binding"] = r.debugBinding;
  d["debug_kernel_id"] = r.debugKernelId;
  py::list sites;
  for (const tvk::DebugSite& s : r.debugSites) {
    py::dict e;
    e["kind"] = s.kind == tvk::DebugSite::Kind::Assert ? "assert" : "print";
    e["text"] = s.text;
    e["operand"] = s.operand;
    e["num_operands"] = s.numOperands;
    e["hex"] = s.hex;
    e["is_signed"] = s.isSigned;
    e["type"] = s.type;
    e["pointer_arg"] = s.pointerArg;
    e["shape"] = s.shape;
    e["file"] = s.file;
    e["line"] = s.line;
    sites.append(e);
  }
  d["debug_sites"] = sites;
  return d;
}

tvk::Reflection reflectionFromDict(const py::dict& d) {
  tvk::Reflection r;
  r.entry = d["entry"].cast<std::string>();
  for (py::handle h : d["args"]) {
    py::dict a = h.cast<py::dict>();
    tvk::ArgInfo info;
    info.kind = a["kind"].cast<std::string>() == "buffer" ? tvk::ArgInfo::Kind::Buffer : tvk::ArgInfo::Kind::Scalar;
    info.name = a["name"].cast<std::string>();
    info.type = a["type"].cast<std::string>();
    info.size = a["size"].cast<uint32_t>();
    info.binding = a["binding"].cast<int>();
    info.pushOffset = a["push_offset"].cast<int>();
    info.read = a["read"].cast<bool>();
    info.written = a["written"].cast<bool>();
    info.alignment = a["alignment"].cast<uint32_t>();
    info.maxElemIndex = a.contains("max_elem_index") ? a["max_elem_index"].cast<int64_t>() : -1;
    r.args.push_back(info);
  }
  r.pushConstantBytes = d["push_constant_bytes"].cast<uint32_t>();
  auto wg = d["workgroup_size"].cast<std::vector<uint32_t>>();
  for (size_t i = 0; i < 3 && i < wg.size(); ++i) r.workgroupSize[i] = wg[i];
  r.subgroupSize = d["subgroup_size"].cast<uint32_t>();
  r.numWarps = d["num_warps"].cast<uint32_t>();
  r.sharedBytes = d["shared_bytes"].cast<uint32_t>();
  r.features = d["features"].cast<std::vector<std::string>>();
  r.statusBinding = d.contains("status_binding") ? d["status_binding"].cast<int>() : -1;
  r.addresses = d.contains("addresses") ? d["addresses"].cast<bool>() : false;
  r.debugBinding = d.contains("debug_binding") ? d["debug_binding"].cast<int>() : -1;
  r.debugKernelId = d.contains("debug_kernel_id") ? d["debug_kernel_id"].cast<uint32_t>() : 0;
  if (d.contains("debug_sites")) {
    for (py::handle h : d["debug_sites"]) {
      py::dict e = h.cast<py::dict>();
      tvk::DebugSite s;
      s.kind = e["kind"].cast<std::string>() == "assert" ? tvk::DebugSite::Kind::Assert
                                                         : tvk::DebugSite::Kind::Print;
      s.text = e["text"].cast<std::string>();
      s.operand = e["operand"].cast<int>();
      s.numOperands = e["num_operands"].cast<int>();
      s.hex = e["hex"].cast<bool>();
      s.isSigned = e["is_signed"].cast<bool>();
      s.type = e["type"].cast<std::string>();
      s.pointerArg = e["pointer_arg"].cast<std::string>();
      s.shape = e["shape"].cast<std::vector<int64_t>>();
      s.file = e["file"].cast<std::string>();
      s.line = e["line"].cast<int>();
      r.debugSites.push_back(s);
    }
  }
  return r;
}

void bindCompiler(py::module_& m) {
  py::class_<tvk::Target>(m, "Target", "Device facts the compiler uses (a live device or a named profile)")
      .def_readonly("name", &tvk::Target::name)
      .def_readonly("subgroup_size", &tvk::Target::subgroupSize)
      .def_readonly("shared_memory_bytes", &tvk::Target::sharedMemoryBytes)
      .def_readonly("max_workgroup_invocations", &tvk::Target::maxWorkgroupInvocations)
      .def_readonly("push_constant_bytes", &tvk::Target::pushConstantBytes)
      .def_readonly("storage_buffer_offset_alignment", &tvk::Target::storageBufferOffsetAlignment)
      .def_readonly("int64", &tvk::Target::int64)
      .def_readonly("buffer_device_address", &tvk::Target::bufferDeviceAddress)
      .def_readonly("cas_loop_atomics", &tvk::Target::casLoopAtomics)
      .def_readonly("vulkan_memory_model", &tvk::Target::vulkanMemoryModel)
      .def_readonly("float64", &tvk::Target::float64)
      .def_readonly("float16", &tvk::Target::float16)
      .def_readonly("max_loop_iterations", &tvk::Target::maxLoopIterations)
      .def_property_readonly("cooperative_matrix",
                             [](const tvk::Target& t) { return !t.coopMatShapes.empty(); })
      .def("describe", &tvk::Target::describe)
      .def("__repr__", [](const tvk::Target& t) { return "<triton_vulkan Target '" + t.name + "'>"; });

  m.def("target_profile", [](const std::string& name) {
    auto t = tvk::targetProfile(name);
    if (!t.ok()) throw CompileError(t.status().message());
    return t.value();
  }, py::arg("name"), "A named target profile (lavapipe, nvidia-hopper, apple-m1-moltenvk)");
  m.def("target_profile_names", &tvk::targetProfileNames);
  m.def("compiler_version", [] { return std::string(tvk::compilerVersion()); });

  m.def("compile_ttir",
        [](const std::string& ttir, const tvk::Target& target, int numWarps, const std::string& fileName,
           bool validate, int vectorBytes, int numStages) {
          if (vectorBytes < 0) throw CompileError("vector_bytes must not be negative");
          if (numStages < 1) throw CompileError("num_stages must be positive");
          tvk::CompileOptions options;
          options.numWarps = numWarps;
          options.numStages = numStages;
          options.maxVectorBytes = static_cast<uint32_t>(vectorBytes);
          options.target = target;
          options.fileName = fileName;
          options.validate = validate;
          tvk::Result<tvk::CompiledKernel> r = [&] {
            py::gil_scoped_release release;
            return tvk::compileTTIR(ttir, options);
          }();
          if (!r.ok()) throw CompileError(r.status().message());
          return py::make_tuple(wordsToBytes(r->spirv), reflectionToDict(r->reflection));
        },
        py::arg("ttir"), py::arg("target"), py::arg("num_warps") = 4, py::arg("file_name") = "<ttir>",
        py::arg("validate") = true, py::arg("vector_bytes") = 16, py::arg("num_stages") = 3,
        "Compiles TTIR text; returns (SPIR-V bytes, reflection dict). Raises CompilationError.");

  m.def("disassemble", [](const py::bytes& spirv) {
    auto r = tvk::disassembleSpirv(bytesToWords(spirv));
    if (!r.ok()) throw CompileError(r.status().message());
    return r.value();
  }, py::arg("spirv"));

  m.def("_reflection_roundtrip", [](const py::dict& d) { return reflectionToDict(reflectionFromDict(d)); },
        "Test helper: dict -> Reflection -> dict.");
}

}  // namespace tvkpy
