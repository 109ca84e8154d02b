// dbdumpctl's encryption flags against a scripted fake controller: the
// public keys and references that reach it, the restore's identity
// reference, and what is refused before any call (never echoing a secret).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

constexpr char kTeam[] = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
constexpr char kEscrow[] = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
constexpr char kSecret[] =
    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";

TEST_F(CliCommandsTest, DatabaseAddSendsRecipientsAndPassphraseReference) {
  ASSERT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/data/app.db", std::string("--encrypt-to=") + kTeam,
                 std::string("--encrypt-to=") + kEscrow}),
            0)
      << err_.str();
  const v1::Encryption& e = fake_.add_database.database().encryption();
  ASSERT_EQ(e.recipients_size(), 2);
  EXPECT_EQ(e.recipients(0), kTeam);
  EXPECT_EQ(e.recipients(1), kEscrow);
  EXPECT_TRUE(e.passphrase_ref().empty());
  ASSERT_EQ(Run({"database", "add", "app2", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/data/app.db", "--encrypt-passphrase-ref=file:/etc/dbdump/backup.pass"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_database.database().encryption().passphrase_ref(),
            "file:/etc/dbdump/backup.pass");
}

TEST_F(CliCommandsTest, EncryptionAndIdentityFlagsRefuseSecretsWithoutEchoingThem) {
  int calls = fake_.calls;
  std::vector<std::string> add = {"database", "add", "app", "--engine=sqlite", "--agent=a1",
                                  "--storage=s1", "--path=/data/app.db"};
  struct Case {
    std::vector<std::string> argv;
    std::string says;
  };
  std::vector<Case> cases = {
      {{std::string("--encrypt-to=") + kSecret}, "is not an age recipient"},
      {{"--encrypt-passphrase-ref=hunter2"}, "--encrypt-passphrase-ref must be"},
      {{std::string("--encrypt-to=") + kTeam, "--encrypt-passphrase-ref=env:P"},
       "exclude each other"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = add;
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    EXPECT_EQ(Run(argv), 2) << c.argv[0];
    EXPECT_NE(err_.str().find(c.says), std::string::npos) << err_.str();
    EXPECT_EQ(err_.str().find("GFPYYSJZ"), std::string::npos) << err_.str();
    EXPECT_EQ(err_.str().find("hunter2"), std::string::npos) << err_.str();
  }
  EXPECT_EQ(Run({"restore", "20260101T000000Z-abcdef12", "--target=/x.db",
                 std::string("--identity=") + kSecret}),
            2);
  EXPECT_NE(err_.str().find("--identity must be"), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find("GFPYYSJZ"), std::string::npos) << err_.str();
  EXPECT_EQ(fake_.calls, calls) << "a refused command reached the controller";
}

TEST_F(CliCommandsTest, RestoreAndTestRestoreSendTheIdentityReference) {
  ASSERT_EQ(Run({"restore", "20260101T000000Z-abcdef12", "--target=/x.db",
                 "--identity=file:/home/me/team.key"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.start_restore.options().identity_ref(), "file:/home/me/team.key");
  ASSERT_EQ(Run({"backup", "test-restore", "20260101T000000Z-abcdef12",
                 "--identity=env:AGE_IDENTITY"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.start_restore.options().identity_ref(), "env:AGE_IDENTITY");
  EXPECT_TRUE(fake_.start_restore.options().test_restore());
}

TEST_F(CliCommandsTest, DatabaseUpdateReplacesOrClearsEncryption) {
  ASSERT_EQ(Run({"database", "update", "app", std::string("--encrypt-to=") + kEscrow}), 0)
      << err_.str();
  ASSERT_EQ(fake_.update_database.update_mask().paths_size(), 1);
  EXPECT_EQ(fake_.update_database.update_mask().paths(0), "target.encryption");
  EXPECT_EQ(fake_.update_database.database().target().encryption().recipients(0), kEscrow);
  ASSERT_EQ(Run({"database", "update", "app", "--no-encryption"}), 0) << err_.str();
  EXPECT_EQ(fake_.update_database.update_mask().paths(0), "target.encryption");
  EXPECT_EQ(fake_.update_database.database().target().encryption().recipients_size(), 0);
  EXPECT_EQ(Run({"database", "update", "app", "--no-encryption",
                 std::string("--encrypt-to=") + kEscrow}),
            2);
}

TEST_F(CliCommandsTest, BackupShowAndVerifySayTheBackupIsEncrypted) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->set_database("orders");
  v1::ManifestEncryption* e = b->mutable_manifest()->mutable_encryption();
  e->set_format("age-encryption.org/v1");
  e->add_recipients(kTeam);
  e->add_recipients(kEscrow);
  ASSERT_EQ(Run({"backup", "show", "20260115T020000Z-0badc0de"}), 0) << err_.str();
  EXPECT_NE(out_.str().find(absl::StrCat("encryption:       age, 2 recipients: ", kTeam, ", ",
                                         kEscrow, "\n")),
            std::string::npos)
      << out_.str();
  fake_.verify_response.mutable_backup()->set_verified_at("2026-03-01T02:00:00Z");
  *fake_.verify_response.mutable_backup()->mutable_manifest()->mutable_encryption() = *e;
  ASSERT_EQ(Run({"backup", "verify", "20260115T020000Z-0badc0de"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("the stored sha256 matches the manifest (the backup is encrypted"),
            std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace dbdump
