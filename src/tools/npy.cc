// .npy reader/writer.
#include "tools/npy.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>

#include "support/parse_int.h"

namespace tvk::tools {
namespace {

const std::map<std::string, uint32_t>& itemSizes() {
  static const std::map<std::string, uint32_t> kSizes = {
      {"<f4", 4}, {"<f2", 2}, {"<f8", 8}, {"<i4", 4}, {"<i8", 8}, {"<i2", 2},
      {"|i1", 1}, {"|u1", 1}, {"<u2", 2}, {"<u4", 4}, {"<u8", 8}, {"|b1", 1}};
  return kSizes;
}

// Value of key `key` in the header dict text (up to the next top-level comma or brace).
Result<std::string> dictValue(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return Status::error("npy header has no '" + key + "'");
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return Status::error("npy header: malformed '" + key + "'");
  size_t start = colon + 1;
  while (start < header.size() && std::isspace(static_cast<unsigned char>(header[start])))
    ++start;
  size_t end = start;
  int depth = 0;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  return header.substr(start, end - start);
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"')) return s.substr(1, s.size() - 2);
  return s;
}

Result<std::vector<int64_t>> parseShape(const std::string& text) {
  if (text.empty() || text.front() != '(' || text.back() != ')')
    return Status::error("npy header: bad shape '" + text + "'");
  std::vector<int64_t> shape;
  std::string num;
  for (size_t i = 1; i + 1 <= text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      num += c;
    } else if (c == ',' || c == ')') {
      if (!num.empty()) {
        Result<int64_t> d = parseInt64(num, 0, int64_t{1} << 40);
        if (!d.ok()) return Status::error("npy header: shape '" + text + "': " + d.status().message());
        shape.push_back(*d);
      }
      num.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c)) && c != 'L') {
      return Status::error("npy header: bad shape '" + text + "'");
    }
  }
  return shape;
}

}  // namespace

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape) {  // saturates instead of overflowing (shapes come from files)
    if (d <= 0) return 0;
    n = n > INT64_MAX / d ? INT64_MAX : n * d;
  }
  return n;
}

Result<uint32_t> npyItemSize(const std::string& descr) {
  auto it = itemSizes().find(descr);
  if (it == itemSizes().end())
    return Status::error("unsupported npy dtype '" + descr + "'");
  return it->second;
}

Result<NpyArray> parseNpy(const std::vector<uint8_t>& bytes) {
  static const uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || !std::equal(kMagic, kMagic + 6, bytes.begin()))
    return Status::error("not an .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLen = 0, headerStart = 0;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::error(".npy file truncated");
    headerLen = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (size_t(bytes[11]) << 24);
    headerStart = 12;
  } else {
    return Status::error("unsupported .npy format version " + std::to_string(major));
  }
  if (headerStart + headerLen > bytes.size()) return Status::error(".npy header truncated");
  std::string header(bytes.begin() + headerStart, bytes.begin() + headerStart + headerLen);
  NpyArray a;
  Result<std::string> descr = dictValue(header, "descr");
  if (!descr.ok()) return descr.status();
  a.descr = unquote(*descr);
  Result<uint32_t> item = npyItemSize(a.descr);
  if (!item.ok()) return item.status();
  Result<std::string> fortran = dictValue(header, "fortran_order");
  if (!fortran.ok()) return fortran.status();
  if (*fortran != "False") return Status::error("Fortran-order .npy arrays are not supported");
  Result<std::string> shapeText = dictValue(header, "shape");
  if (!shapeText.ok()) return shapeText.status();
  Result<std::vector<int64_t>> shape = parseShape(*shapeText);
  if (!shape.ok()) return shape.status();
  a.shape = *shape;
  size_t dataStart = headerStart + headerLen;
  if (static_cast<uint64_t>(a.count()) > (bytes.size() - dataStart) / *item)
    return Status::error(".npy data truncated: the shape needs " + std::to_string(a.count()) + " elements of " +
                         std::to_string(*item) + " bytes, the file has " + std::to_string(bytes.size() - dataStart) +
                         " bytes of data");
  size_t dataBytes = static_cast<size_t>(a.count()) * *item;
  if (bytes.size() - dataStart < dataBytes)
    return Status::error(".npy data truncated: need " + std::to_string(dataBytes) +
                         " bytes, have " + std::to_string(bytes.size() - dataStart));
  a.data.assign(bytes.begin() + dataStart, bytes.begin() + dataStart + dataBytes);
  return a;
}

Result<std::vector<uint8_t>> serializeNpy(const NpyArray& a) {
  Result<uint32_t> item = npyItemSize(a.descr);
  if (!item.ok()) return item.status();
  if (a.count() > static_cast<int64_t>(a.data.size()) || a.data.size() != static_cast<size_t>(a.count()) * *item)
    return Status::error("npy array data size does not match its shape");
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(a.shape[i]);
  shape += a.shape.size() == 1 ? ",)" : ")";
  std::string header =
      "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  bool v2 = header.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(v2 ? 2 : 1), 0};
  size_t len = header.size();
  out.push_back(len & 0xff);
  out.push_back((len >> 8) & 0xff);
  if (v2) {
    out.push_back((len >> 16) & 0xff);
    out.push_back((len >> 24) & 0xff);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

Result<NpyArray> readNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<NpyArray> a = parseNpy(bytes);
  if (!a.ok()) return Status::error(path + ": " + a.status().message());
  return a;
}

Status writeNpy(const std::string& path, const NpyArray& array) {
  Result<std::vector<uint8_t>> bytes = serializeNpy(array);
  if (!bytes.ok()) return bytes.status();
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::error("cannot write " + path);
  out.write(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return out ? Status() : Status::error("writing " + path + " failed");
}

}  // namespace tvk::tools
