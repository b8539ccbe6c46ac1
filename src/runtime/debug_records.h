// Debug records of tt.print / tt.assert (abi/reflection.h, lower/debug_ops.cc) → text.
// Pure functions, no Vulkan: the device reads its record buffer after a batch finished
// (device.cc) and formats the records here.
//
// Print lines follow Triton-CUDA's device_print (lib/Conversion/TritonGPUToLLVM/PrintOpToLLVM.cpp):
//   pid (<x>, <y>, <z>) idx (<i0>, <i1>, ...)<prefix>[(operand <n>) ]<value>
// each index padded to ceil(log10(dim)) characters, integers as %lld/%llu by isSigned, floats
// as %f, hex as 0x followed by bits/4 hex digits; a print without operands is
// `pid (<x>, <y>, <z>)<prefix>`. Pointers: device addresses as 0x<hex>; in binding mode
// `&<param>[<element offset>]`.
//
// Example: a record {site 0, pid (0, 0, 0), index 5, bits 5} of a site {prefix " x: ", type i32,
// shape {128}} → "pid (0, 0, 0) idx (  5) x: 5".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi/reflection.h"

namespace tvk {

/// One record of the debug record buffer, decoded.
struct DebugRecord {
  /// Reflection::debugKernelId of the kernel that wrote it.
  uint32_t kernel = 0;
  /// Index into that kernel's Reflection::debugSites.
  uint32_t site = 0;
  /// Program id x, y, z.
  uint32_t pid[3] = {0, 0, 0};
  /// Row-major linear index of the element (0 for scalars).
  uint32_t index = 0;
  /// The value's bits (registers: f16/bf16/fp8 as f32 bits, i8/i16 sign-extended).
  uint64_t bits = 0;
};

/// Decodes record `i` of the words after the buffer's header.
DebugRecord decodeDebugRecord(const uint32_t* records, uint32_t i);

/// The text of one print record (without a newline).
std::string formatPrintRecord(const DebugSite& site, const DebugRecord& r);

/// `pid (x, y, z) idx (i0, i1)` of a record (asserts' failing element).
std::string formatRecordPosition(const DebugSite& site, const DebugRecord& r);

/// The first words of the runtime's message for failed assertions (Python maps it to
/// triton_vulkan.DeviceAssertionError).
constexpr const char* kDeviceAssertPrefix = "device-side assertion failed";

/// Failed assertions of one site, gathered from the records.
struct AssertFailure {
  /// The kernel's entry name.
  std::string kernel;
  /// The site.
  DebugSite site;
  /// The first failing record read.
  DebugRecord first;
  /// Failing elements recorded for this site.
  uint64_t count = 0;
};

/// The error message of failed assertions: one line per site (`file:line: kernel 'k':
/// Assertion `msg` failed at pid (..) idx (..) (N failing elements)`), then how many failing
/// elements were not recorded (`unrecorded`: the buffer was full).
std::string formatAssertFailures(const std::vector<AssertFailure>& failures, uint64_t unrecorded);

}  // namespace tvk
