// Unit tests of the MongoDB engine's pure parts: the archive prelude reader,
// name checks, YAML quoting of the password and namespace pattern escaping.
#include <cstring>
#include <string>
#include <vector>

#include "common/engines/mongodb/mongo_archive_prelude.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "gtest/gtest.h"
#include "tests/fixtures/bson_bytes.h"

namespace dbdump {
namespace {

using testing::Doc;
using testing::Int32;
using testing::Int64;
using testing::Le32;
using testing::Str;
using testing::SubDoc;
const std::string& kMagic = testing::kArchiveMagic;
const std::string& kTerminator = testing::kArchiveTerminator;

std::string Header() {
  return Doc(Int32("concurrent_collections", 4) + Str("version", "0.1") +
             Str("server_version", "7.0.14") + Str("tool_version", "100.9.4"));
}
std::string Collection(const std::string& db, const std::string& c) {
  // Fields the parser skips come first and in between, as real archives
  // carry them (metadata is JSON text, size an int64).
  return Doc(Str("db", db) + Str("metadata", "{\"indexes\":[]}") + Str("collection", c) +
             Int64("size", 1234) + SubDoc("extra", Doc(Int32("x", 1))) +
             Str("type", "collection"));
}
std::string Archive() {
  return kMagic + Header() + Collection("shop", "items") + Collection("shop", "ünï ✓") +
         Collection("crm", "people") + kTerminator + "namespace data follows";
}

TEST(MongoArchivePreludeTest, ReadsVersionsAndNamespacesWhateverTheChunking) {
  const std::string archive = Archive();
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, size_t{64}, archive.size()}) {
    MongoArchivePrelude p;
    for (size_t i = 0; i < archive.size(); i += chunk) {
      p.Feed(archive.data() + i, std::min(chunk, archive.size() - i));
    }
    ASSERT_EQ(p.state(), MongoArchivePrelude::State::kComplete) << "chunk " << chunk;
    EXPECT_EQ(p.bytes_seen(), archive.size());
    EXPECT_EQ(p.server_version(), "7.0.14");
    EXPECT_EQ(p.tool_version(), "100.9.4");
    EXPECT_EQ(p.format_version(), "0.1");
    ASSERT_EQ(p.namespaces().size(), 3u);
    EXPECT_EQ(p.namespaces()[0].db, "shop");
    EXPECT_EQ(p.namespaces()[0].collection, "items");
    EXPECT_EQ(p.namespaces()[0].type, "collection");
    EXPECT_EQ(p.namespaces()[1].collection, "ünï ✓");
    EXPECT_EQ(p.namespaces()[2].db, "crm");
  }
}

TEST(MongoArchivePreludeTest, EmptyPreludeIsComplete) {
  std::string archive = kMagic + Header() + kTerminator;
  MongoArchivePrelude p;
  p.Feed(archive.data(), archive.size());
  EXPECT_EQ(p.state(), MongoArchivePrelude::State::kComplete);
  EXPECT_TRUE(p.namespaces().empty());
}

TEST(MongoArchivePreludeTest, TruncatedPreludeIsStillReading) {
  std::string archive = Archive();
  MongoArchivePrelude p;
  p.Feed(archive.data(), kMagic.size() + Header().size() + 10);
  EXPECT_EQ(p.state(), MongoArchivePrelude::State::kReading);
  EXPECT_EQ(p.server_version(), "7.0.14");
  EXPECT_TRUE(p.namespaces().empty());
}

TEST(MongoArchivePreludeTest, RejectsWhatIsNotAnArchive) {
  {
    MongoArchivePrelude p;
    std::string gz = "\x1f\x8b\x08\x08 gzip, not an archive";
    p.Feed(gz.data(), gz.size());
    EXPECT_EQ(p.state(), MongoArchivePrelude::State::kNotAnArchive);
    EXPECT_NE(p.problem().find("magic number"), std::string::npos) << p.problem();
  }
  {
    MongoArchivePrelude p;
    std::string bad = kMagic + Le32(3) + "xx";  // a document shorter than any
    p.Feed(bad.data(), bad.size());
    EXPECT_EQ(p.state(), MongoArchivePrelude::State::kNotAnArchive);
  }
  {
    // A string element whose length runs past its document.
    std::string header = Header();
    std::string broken = header;
    size_t at = broken.find("0.1") - 4;
    broken.replace(at, 4, Le32(200));
    MongoArchivePrelude p;
    std::string archive = kMagic + broken + kTerminator;
    p.Feed(archive.data(), archive.size());
    EXPECT_EQ(p.state(), MongoArchivePrelude::State::kNotAnArchive);
  }
  {
    // A collection entry without its collection name.
    MongoArchivePrelude p;
    std::string archive = kMagic + Header() + Doc(Str("db", "shop")) + kTerminator;
    p.Feed(archive.data(), archive.size());
    EXPECT_EQ(p.state(), MongoArchivePrelude::State::kNotAnArchive);
  }
}

TEST(MongoArchivePreludeTest, StopsAtItsSizeLimit) {
  MongoArchivePrelude p(/*max_prelude_bytes=*/200);
  std::string archive = kMagic + Header();
  for (int i = 0; i < 10; ++i) archive += Collection("shop", "c" + std::to_string(i));
  archive += kTerminator;
  p.Feed(archive.data(), archive.size());
  EXPECT_EQ(p.state(), MongoArchivePrelude::State::kTooLarge);
  EXPECT_EQ(p.bytes_seen(), archive.size());
}

TEST(MongoNamesTest, DatabaseNamesFollowMongoDbRules) {
  for (const std::string& ok : std::vector<std::string>{"shop", "--out=hostile", "ünïcødé", "a-b_c",
                                                      std::string(63, 'x')}) {
    EXPECT_TRUE(ValidateMongoDatabaseName(ok).ok()) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{std::string(), std::string("a/b"), std::string("a.b"),
                          std::string("a b"), std::string("a$b"), std::string("a\\b"),
                          std::string("a\"b"), std::string("a\0b", 3), std::string(64, 'x'),
                          std::string("--file=/tmp/x")}) {
    absl::Status st = ValidateMongoDatabaseName(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << bad;
    EXPECT_EQ(std::string(st.message()).find('\n'), std::string::npos);
  }
}

TEST(MongoNamesTest, NamespacesSplitAtTheFirstDot) {
  auto ns = SplitMongoNamespace("shop.items.archive");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->first, "shop");
  EXPECT_EQ(ns->second, "items.archive");
  auto hostile = SplitMongoNamespace("shop.--out=/tmp/x");
  ASSERT_TRUE(hostile.ok()) << hostile.status();
  EXPECT_EQ(hostile->second, "--out=/tmp/x");
  for (const std::string& bad : std::vector<std::string>{"shop", ".items", "shop.", "sh op.items", "shop.a$b",
                          "shop." + std::string(300, 'c')}) {
    EXPECT_TRUE(absl::IsInvalidArgument(SplitMongoNamespace(bad).status())) << bad;
  }
}

TEST(MongoYamlTest, QuotesEveryCharacterSafely) {
  EXPECT_EQ(*YamlDoubleQuoted("plain"), "\"plain\"");
  EXPECT_EQ(*YamlDoubleQuoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(*YamlDoubleQuoted("x: #y 'z'"), "\"x: #y 'z'\"");
  EXPECT_EQ(*YamlDoubleQuoted(std::string("t\tn\nz\0e\x7f", 8)), "\"t\\x09n\\x0Az\\x00e\\x7F\"");
  EXPECT_EQ(*YamlDoubleQuoted("ünï ✓ 🙂"), "\"ünï ✓ 🙂\"");
  // Line and paragraph separators, NEL and BOM would not survive YAML.
  EXPECT_EQ(*YamlDoubleQuoted("a\u2028b\u2029c\u0085d\ufeff"),
            "\"a\\u2028b\\u2029c\\u0085d\\uFEFF\"");
}

TEST(MongoYamlTest, RefusesWhatIsNotUtf8) {
  for (const std::string& bad : std::vector<std::string>{std::string("\xff"), std::string("\xc0\x80"),  // overlong NUL
                          std::string("\xed\xa0\x80"),                    // surrogate
                          std::string("\xe2\x82"),                        // truncated
                          std::string("\xf4\x90\x80\x80"),                // past U+10FFFF
                          std::string("a\x80")}) {
    EXPECT_FALSE(YamlDoubleQuoted(bad).ok()) << bad;
  }
}

TEST(MongoNsPatternTest, EscapesWildcardsAndBackslashes) {
  EXPECT_EQ(MongoNsPatternEscape("shop"), "shop");
  EXPECT_EQ(MongoNsPatternEscape("a*b"), "a\\*b");
  EXPECT_EQ(MongoNsPatternEscape("a\\*"), "a\\\\\\*");
}

}  // namespace
}  // namespace dbdump
