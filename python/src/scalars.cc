// Python scalars → push-constant bytes of a launch (f16/bf16 rounding, integer range checks).
#include <cmath>
#include <cstring>

#include "runtime_objects.h"

namespace tvkpy {

namespace {

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int32_t exp = int32_t((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return uint16_t(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return uint16_t(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return uint16_t(sign);
    mant |= 0x800000;
    uint32_t shift = uint32_t(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = sign | (uint32_t(exp) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;
  return uint16_t(half);
}

uint16_t floatToBf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if (std::isnan(f)) return uint16_t((x >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return uint16_t((x + rounding) >> 16);
}

}  // namespace

tvk::LaunchArg packScalar(const tvk::ArgInfo& info, py::handle value) {
  const std::string& t = info.type;
  bool isFloat = !t.empty() && (t[0] == 'f' || t == "bf16");
  if (isFloat) {
    if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value))
      throw py::type_error("argument '" + info.name + "' (" + t + ") expects a float, got " +
                           std::string(py::str(py::type::handle_of(value).attr("__name__"))));
    double v = value.cast<double>();
    if (t == "f32") return tvk::LaunchArg::of(float(v));
    if (t == "f64") return tvk::LaunchArg::of(v);
    // 16-bit floats fill the low half of their 32-bit push-constant word (lower/kernel.cc).
    if (t == "f16") return tvk::LaunchArg::of(uint32_t{floatToHalf(float(v))});
    if (t == "bf16") return tvk::LaunchArg::of(uint32_t{floatToBf16(float(v))});
    throw py::type_error("argument '" + info.name + "': unsupported scalar type " + t);
  }
  if (!py::isinstance<py::int_>(value))  // bool is an int subclass
    throw py::type_error("argument '" + info.name + "' (" + t + ") expects an int, got " +
                         std::string(py::str(py::type::handle_of(value).attr("__name__"))));
  // Two's complement truncation to the parameter's size (signless in TTIR: i32 holds u32 too).
  py::int_ iv = py::reinterpret_borrow<py::int_>(value);
  uint64_t bits = PyLong_AsUnsignedLongLongMask(iv.ptr());
  if (PyErr_Occurred()) throw py::error_already_set();
  int width = t == "i1" ? 1 : std::atoi(t.c_str() + 1);
  if (t == "i1") {
    bits = bits != 0;  // Python's truth value (2 is True), not the low bit
  } else if (width >= 64) {
    // [-2^63, 2^64): signed or unsigned 64-bit spellings; wider values are an error, not wrapped.
    (void)PyLong_AsLongLong(iv.ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      (void)PyLong_AsUnsignedLongLong(iv.ptr());
      bool overflow = PyErr_Occurred() != nullptr;
      PyErr_Clear();
      if (overflow)
        throw py::value_error("argument '" + info.name + "' = " + std::string(py::str(value)) +
                              " does not fit in 64 bits");
    }
  } else {
    // Range check: accept [-2^(w-1), 2^w) so that both signed and unsigned spellings fit.
    long long sv = PyLong_AsLongLong(iv.ptr());
    bool overflow = PyErr_Occurred() != nullptr;
    PyErr_Clear();
    if (overflow || sv < -(1LL << (width - 1)) || sv >= (1LL << width))
      throw py::value_error("argument '" + info.name + "' = " + std::string(py::str(value)) +
                            " does not fit in " + t + " (" + std::to_string(width) + " bits, signed or unsigned)");
  }
  uint32_t size = info.size ? info.size : uint32_t((width + 7) / 8);
  return tvk::LaunchArg::ofBytes(&bits, size);  // little-endian host
}

}  // namespace tvkpy
