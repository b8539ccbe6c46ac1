#include "tools/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace tvk::tools {
namespace {

const std::string kCases = std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases";

TEST(Npy, ReadsCaseFiles) {
  Result<NpyArray> a = readNpy(kCases + "/add_f32/x_ptr.in.npy");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->descr, "<f4");
  ASSERT_EQ(a->shape.size(), 1u);
  EXPECT_EQ(a->data.size(), static_cast<size_t>(a->count()) * 4);
  Result<NpyArray> e4 = readNpy(kCases + "/fp8/e4_ptr.in.npy");
  ASSERT_TRUE(e4.ok());
  EXPECT_EQ(e4->descr, "|u1");
  Result<NpyArray> j = readNpy(kCases + "/mathmix/j_ptr.in.npy");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->descr, "<i8");
  EXPECT_EQ(j->data.size(), static_cast<size_t>(j->count()) * 8);
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  const char* descrs[] = {"<f4", "<f2", "<i4", "<i8", "<i2", "|i1", "|u1",
                          "<u2", "<u4", "<u8", "|b1", "<f8"};
  std::vector<std::vector<int64_t>> shapes = {{}, {5}, {2, 3}, {2, 1, 4}};
  for (const char* d : descrs) {
    for (const auto& shape : shapes) {
      NpyArray a;
      a.descr = d;
      a.shape = shape;
      a.data.resize(a.count() * *npyItemSize(d));
      for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<uint8_t>(i * 7 + 1);
      Result<std::vector<uint8_t>> bytes = serializeNpy(a);
      ASSERT_TRUE(bytes.ok()) << bytes.status().message();
      EXPECT_EQ((bytes->size() - a.data.size()) % 64, 0u);  // header padded to 64 bytes
      Result<NpyArray> b = parseNpy(*bytes);
      ASSERT_TRUE(b.ok()) << d << ": " << b.status().message();
      EXPECT_EQ(b->descr, a.descr);
      EXPECT_EQ(b->shape, a.shape);
      EXPECT_EQ(b->data, a.data);
    }
  }
}

TEST(Npy, WritesFilesNumpyFormat) {
  NpyArray a;
  a.descr = "<i4";
  a.shape = {3};
  int32_t v[3] = {1, -2, 3};
  a.data.assign(reinterpret_cast<uint8_t*>(v), reinterpret_cast<uint8_t*>(v) + 12);
  std::string path = ::testing::TempDir() + "/tvk_npy_test_" + std::to_string(::getpid()) + ".npy";
  ASSERT_TRUE(writeNpy(path, a).ok());
  Result<NpyArray> b = readNpy(path);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data, a.data);
  Result<std::vector<uint8_t>> bytes = serializeNpy(a);
  std::string header(bytes->begin() + 10, bytes->begin() + 10 + ((*bytes)[8] | ((*bytes)[9] << 8)));
  EXPECT_NE(header.find("'shape': (3,)"), std::string::npos) << header;
  std::remove(path.c_str());
}

TEST(Npy, RejectsBadInput) {
  EXPECT_FALSE(parseNpy({1, 2, 3}).ok());
  NpyArray a;
  a.descr = ">f4";
  a.shape = {1};
  a.data.resize(4);
  EXPECT_FALSE(serializeNpy(a).ok());
  a.descr = "<f4";
  Result<std::vector<uint8_t>> bytes = serializeNpy(a);
  ASSERT_TRUE(bytes.ok());
  bytes->pop_back();  // truncated data
  EXPECT_FALSE(parseNpy(*bytes).ok());
  std::string s(bytes->begin(), bytes->end());
  size_t f = s.find("False");
  s.replace(f, 5, "True ");
  EXPECT_FALSE(parseNpy(std::vector<uint8_t>(s.begin(), s.end())).ok());
  EXPECT_FALSE(readNpy("/nonexistent/x.npy").ok());
  // Huge dimensions are errors, not exceptions or overflowing products.
  for (const char* shape : {"(99999999999999999999,)", "(4000000000, 4000000000, 4000000000)"}) {
    std::string h(bytes->begin(), bytes->end());
    size_t at = h.find("(1,)");
    ASSERT_NE(at, std::string::npos);
    h.replace(at, 4, shape);
    size_t len = (uint8_t(h[8]) | (uint8_t(h[9]) << 8)) + std::string(shape).size() - 4;
    h[8] = char(len & 0xff);
    h[9] = char(len >> 8);
    Result<NpyArray> r = parseNpy(std::vector<uint8_t>(h.begin(), h.end()));
    ASSERT_FALSE(r.ok()) << shape;
    EXPECT_NE(r.status().message().find("shape"), std::string::npos) << r.status().message();
  }
}

/// A header whose shape overflows (std::stoll threw; a wrapped element count passed the size
/// check): a clean error each time.
TEST(Npy, RejectsHugeShapes) {
  for (const char* shape : {"(99999999999999999999999,)", "(4294967296, 4294967296)", "(1099511627776, 1099511627776, 16)"}) {
    std::string header = std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }";
    header.resize(118, ' ');
    header += '\n';
    std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(header.size()), 0};
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.resize(bytes.size() + 64, 0);
    Result<NpyArray> a = parseNpy(bytes);
    EXPECT_FALSE(a.ok()) << shape;
  }
}

}  // namespace
}  // namespace tvk::tools
