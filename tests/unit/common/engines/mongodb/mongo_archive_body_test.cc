// MongoArchiveBody: the document counts per collection of a mongodump
// archive's data blocks, written by hand here as the tools write them
// (tests/integration/engines/ checks them against real mongodump archives).
#include <string>

#include "common/engines/mongodb/mongo_archive_body.h"
#include "gtest/gtest.h"
#include "tests/fixtures/bson_bytes.h"

namespace dbdump {
namespace {

using testing::Bool;
using testing::Doc;
using testing::Int64;
using testing::Le32;
using testing::Str;
const std::string& kTerminator = testing::kArchiveTerminator;

std::string Header(const std::string& db, const std::string& c, bool eof = false) {
  return Doc(Str("db", db) + Str("collection", c) + Bool("EOF", eof) + Int64("CRC", 42));
}
// A document whose body looks like a terminator and a header, which a
// reader that did not skip by length would take for them.
std::string Tricky() { return Doc(Str("x", kTerminator + Header("evil", "one"))); }

std::string Body() {
  return Header("shop", "items") + Doc(Str("a", "1")) + Tricky() + kTerminator +
         Header("crm", "people") + Doc(Str("name", std::string(100000, 'z'))) + kTerminator +
         Header("shop", "items") + Doc(Str("a", "3")) + kTerminator +
         Header("shop", "items", true) + kTerminator +  //
         Header("shop", "empty") + kTerminator;
}

TEST(MongoArchiveBodyTest, CountsDocumentsPerCollectionWhateverTheChunking) {
  const std::string body = Body();
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, size_t{4096}, body.size()}) {
    MongoArchiveBody b;
    for (size_t i = 0; i < body.size(); i += chunk) {
      b.Feed(body.data() + i, std::min(chunk, body.size() - i));
    }
    ASSERT_TRUE(b.ok()) << b.problem();
    EXPECT_TRUE(b.at_block_boundary()) << "chunk " << chunk;
    EXPECT_EQ(b.documents(), (std::map<std::string, int64_t>{
                                 {"crm.people", 1}, {"shop.empty", 0}, {"shop.items", 3}}))
        << "chunk " << chunk;
  }
}

TEST(MongoArchiveBodyTest, KnowsWhenTheStreamStopsInsideABlock) {
  const std::string body = Body();
  for (size_t cut : {size_t{3}, size_t{30}, body.size() - 100000, body.size() - 2}) {
    MongoArchiveBody b;
    b.Feed(body.data(), cut);
    EXPECT_TRUE(b.ok());
    EXPECT_FALSE(b.at_block_boundary()) << "cut at " << cut;
  }
  MongoArchiveBody empty;
  EXPECT_TRUE(empty.at_block_boundary());
}

TEST(MongoArchiveBodyTest, RejectsWhatMongodumpDoesNotWrite) {
  auto problem = [](const std::string& bytes) {
    MongoArchiveBody b;
    b.Feed(bytes.data(), bytes.size());
    return b.ok() ? std::string("ok") : b.problem();
  };
  EXPECT_NE(problem(kTerminator).find("two terminators"), std::string::npos);
  EXPECT_NE(problem(Header("a", "b") + Le32(3)).find("impossible length (3 bytes)"),
            std::string::npos);
  EXPECT_NE(problem(Header("a", "b") + Le32(64 << 20)).find("impossible length"),
            std::string::npos);
  EXPECT_NE(problem(Doc(Str("db", "a"))).find("namespace header"), std::string::npos);
  EXPECT_NE(problem(Le32(1 << 20)).find("namespace header claims"), std::string::npos);
  // Once wrong, it stays wrong.
  MongoArchiveBody b;
  b.Feed(kTerminator.data(), 4);
  std::string good = Body();
  b.Feed(good.data(), good.size());
  EXPECT_FALSE(b.ok());
  EXPECT_TRUE(b.documents().empty());
}

}  // namespace
}  // namespace dbdump
