#include "common/security/pki.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/clock.h"
#include "common/base/names.h"
#include "common/security/identity.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

// Exit status and combined output of a shell command (the openssl CLI).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

constexpr char kOpenssl[] = "/usr/bin/openssl";

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-pki.XXXXXX";
    dir_ = mkdtemp(tmpl);
    // Whole seconds: certificates carry no fractions.
    now_ = absl::FromUnixSeconds(absl::ToUnixSeconds(DefaultClock()->Now()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) { return dir_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& contents) {
    std::ofstream(Path(name)) << contents;
    return Path(name);
  }

  CertificateSpec CaSpec(const std::string& cn = "dbdump CA") {
    CertificateSpec spec;
    spec.common_name = cn;
    spec.not_before = now_ - absl::Minutes(5);
    spec.not_after = now_ + absl::Hours(24 * 365);
    spec.is_ca = true;
    return spec;
  }
  CertificateSpec LeafSpec(const std::string& agent = "db1") {
    CertificateSpec spec;
    spec.common_name = agent;
    spec.identity = AgentIdentity(agent);
    spec.not_before = now_ - absl::Minutes(5);
    spec.not_after = now_ + absl::Hours(24 * 30);
    return spec;
  }

  // A CA: key and self-signed certificate.
  struct Ca {
    std::string key, cert;
  };
  Ca NewCa(const std::string& cn = "dbdump CA") {
    Ca ca;
    ca.key = GeneratePrivateKey().value();
    ca.cert = SelfSignCertificate(ca.key, CaSpec(cn)).value();
    return ca;
  }
  // A leaf issued by `ca` for a fresh key.
  std::string NewLeaf(const Ca& ca, const CertificateSpec& spec, std::string* key_out = nullptr) {
    std::string key = GeneratePrivateKey().value();
    std::string csr = CreateCsr(key, spec.common_name).value();
    if (key_out != nullptr) *key_out = key;
    return IssueCertificate(ca.cert, ca.key, csr, spec).value();
  }

  std::string dir_;
  absl::Time now_;
};

// The DER inside a one-object PEM, and back.
std::string PemBody(const std::string& pem) {
  std::string b64;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (line.empty() || absl::StartsWith(line, "-----")) continue;
    absl::StrAppend(&b64, line);
  }
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(b64, &der));
  return der;
}
std::string ToPem(const std::string& label, const std::string& der) {
  std::string b64 = absl::Base64Escape(der);
  std::string pem = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  absl::StrAppend(&pem, "-----END ", label, "-----\n");
  return pem;
}

TEST_F(PkiTest, GeneratedKeyIsPkcs8P256) {
  auto key = GeneratePrivateKey();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(absl::StartsWith(*key, "-----BEGIN PRIVATE KEY-----\n")) << *key;
  CommandResult r =
      RunCommand(absl::StrCat(kOpenssl, " pkey -noout -text -in ", Write("key.pem", *key)));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "prime256v1") ||
              absl::StrContains(r.output, "P-256")) << r.output;
  EXPECT_NE(*key, GeneratePrivateKey().value());
}

TEST_F(PkiTest, SelfSignedCaIsInspectable) {
  std::string key = GeneratePrivateKey().value();
  auto cert = SelfSignCertificate(key, CaSpec());
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = InspectCertificate(*cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->common_name, "dbdump CA");
  EXPECT_EQ(info->not_before, now_ - absl::Minutes(5));
  EXPECT_EQ(info->not_after, now_ + absl::Hours(24 * 365));
  EXPECT_TRUE(info->uris.empty());
  EXPECT_EQ(info->serial.size(), 32u) << info->serial;  // 128 bits, top bit set
  EXPECT_EQ(info->serial, absl::AsciiStrToLower(info->serial));
  EXPECT_TRUE(absl::StartsWith(info->fingerprint, "sha256:"));
  EXPECT_EQ(info->fingerprint.size(), 7u + 64u);
  EXPECT_EQ(info->public_key_fingerprint, PrivateKeyPublicFingerprint(key).value());
  EXPECT_TRUE(VerifyIssuedBy(*cert, *cert, now_).ok());
}

TEST_F(PkiTest, IssuedLeafCarriesIdentityAndTheCsrKey) {
  Ca ca = NewCa();
  std::string key = GeneratePrivateKey().value();
  auto csr = CreateCsr(key, "db1");
  ASSERT_TRUE(csr.ok()) << csr.status();
  EXPECT_TRUE(absl::StartsWith(*csr, "-----BEGIN CERTIFICATE REQUEST-----\n"));
  auto leaf = IssueCertificate(ca.cert, ca.key, *csr, LeafSpec("db1"));
  ASSERT_TRUE(leaf.ok()) << leaf.status();

  auto info = InspectCertificate(*leaf);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->uris, std::vector<std::string>{"spiffe://dbdump/agent/db1"});
  EXPECT_EQ(info->common_name, "db1");
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->serial.size(), 32u);
  EXPECT_NE(info->serial, InspectCertificate(ca.cert)->serial);
  EXPECT_EQ(info->not_after, now_ + absl::Hours(24 * 30));
  std::string key_fp = PrivateKeyPublicFingerprint(key).value();
  EXPECT_EQ(info->public_key_fingerprint, key_fp);
  EXPECT_EQ(CsrPublicKeyFingerprint(*csr).value(), key_fp);
  EXPECT_NE(InspectCertificate(ca.cert)->public_key_fingerprint, key_fp);
}

TEST_F(PkiTest, SerialsDiffer) {
  Ca ca = NewCa();
  std::string a = InspectCertificate(NewLeaf(ca, LeafSpec()))->serial;
  std::string b = InspectCertificate(NewLeaf(ca, LeafSpec()))->serial;
  EXPECT_NE(a, b);
}

TEST_F(PkiTest, SubjectAndSanComeFromTheSpecNotTheCsr) {
  Ca ca = NewCa();
  std::string key = GeneratePrivateKey().value();
  std::string csr = CreateCsr(key, "controller").value();
  std::string leaf = IssueCertificate(ca.cert, ca.key, csr, LeafSpec("db7")).value();
  auto info = InspectCertificate(leaf);
  EXPECT_EQ(info->common_name, "db7");
  EXPECT_EQ(info->uris, std::vector<std::string>{"spiffe://dbdump/agent/db7"});
}

TEST_F(PkiTest, VerifyIssuedByAcceptsItsOwnCa) {
  Ca ca = NewCa();
  std::string leaf = NewLeaf(ca, LeafSpec());
  EXPECT_TRUE(VerifyIssuedBy(leaf, ca.cert, now_).ok()) << VerifyIssuedBy(leaf, ca.cert, now_);
  // Only the first certificate of a chain is checked.
  EXPECT_TRUE(VerifyIssuedBy(leaf + ca.cert, ca.cert, now_).ok());
}

TEST_F(PkiTest, VerifyIssuedByRefusesAnotherCa) {
  Ca ca = NewCa();
  Ca other = NewCa();  // same name, different key
  Ca renamed = NewCa("another CA");
  std::string leaf = NewLeaf(ca, LeafSpec());
  for (const Ca* wrong : {&other, &renamed}) {
    absl::Status s = VerifyIssuedBy(leaf, wrong->cert, now_);
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "not issued by this CA")) << s;
  }
}

TEST_F(PkiTest, VerifyIssuedByRefusesExpired) {
  Ca ca = NewCa();
  CertificateSpec spec = LeafSpec();
  spec.not_before = now_ - absl::Hours(48);
  spec.not_after = now_ - absl::Hours(24);
  std::string leaf = NewLeaf(ca, spec);
  absl::Status s = VerifyIssuedBy(leaf, ca.cert, now_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(
      absl::StrContains(s.message(), absl::StrCat("expired at ", TimeToString(spec.not_after))))
      << s;
  // Inside its window, but before the CA's: the CA is named.
  s = VerifyIssuedBy(leaf, ca.cert, now_ - absl::Hours(36));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StartsWith(s.message(), "CA certificate is not valid before")) << s;
  // Inside both windows.
  CertificateSpec older = CaSpec();
  older.not_before = now_ - absl::Hours(72);
  ca.cert = SelfSignCertificate(ca.key, older).value();
  EXPECT_TRUE(VerifyIssuedBy(leaf, ca.cert, now_ - absl::Hours(36)).ok());
}

TEST_F(PkiTest, VerifyIssuedByRefusesNotYetValid) {
  Ca ca = NewCa();
  CertificateSpec spec = LeafSpec();
  spec.not_before = now_ + absl::Hours(1);
  std::string leaf = NewLeaf(ca, spec);
  absl::Status s = VerifyIssuedBy(leaf, ca.cert, now_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not valid before")) << s;
}

TEST_F(PkiTest, VerifyIssuedByRefusesNonCertificates) {
  Ca ca = NewCa();
  EXPECT_TRUE(absl::IsInvalidArgument(VerifyIssuedBy("hello", ca.cert, now_)));
  EXPECT_TRUE(absl::IsInvalidArgument(VerifyIssuedBy(ca.cert, ca.key, now_)));
}

TEST_F(PkiTest, TamperedCsrIsRefused) {
  Ca ca = NewCa();
  std::string key = GeneratePrivateKey().value();
  std::string csr = CreateCsr(key, "agent-db1").value();
  std::string der = PemBody(csr);

  // The subject changed after signing: still a CSR, the signature fails.
  std::string renamed = der;
  size_t at = renamed.find("agent-db1");
  ASSERT_NE(at, std::string::npos);
  renamed[at] = 'b';
  std::string renamed_pem = ToPem("CERTIFICATE REQUEST", renamed);
  ASSERT_TRUE(CsrPublicKeyFingerprint(renamed_pem).ok());  // it parses
  auto issued = IssueCertificate(ca.cert, ca.key, renamed_pem, LeafSpec());
  EXPECT_TRUE(absl::IsInvalidArgument(issued.status())) << issued.status();
  EXPECT_TRUE(absl::StrContains(issued.status().message(), "signature")) << issued.status();

  // The signature's last byte changed.
  std::string resigned = der;
  resigned.back() ^= 0x01;
  issued = IssueCertificate(ca.cert, ca.key, ToPem("CERTIFICATE REQUEST", resigned), LeafSpec());
  EXPECT_TRUE(absl::IsInvalidArgument(issued.status())) << issued.status();

  // The untouched one round-trips through the same helpers.
  EXPECT_TRUE(
      IssueCertificate(ca.cert, ca.key, ToPem("CERTIFICATE REQUEST", der), LeafSpec()).ok());
}

TEST_F(PkiTest, NonCsrIsRefused) {
  Ca ca = NewCa();
  for (const std::string& not_csr : {ca.cert, ca.key, std::string("hello"), std::string()}) {
    auto issued = IssueCertificate(ca.cert, ca.key, not_csr, LeafSpec());
    EXPECT_TRUE(absl::IsInvalidArgument(issued.status())) << issued.status();
  }
  EXPECT_TRUE(absl::IsInvalidArgument(CsrPublicKeyFingerprint(ca.cert).status()));
}

TEST_F(PkiTest, IssueRefusesWrongCaKeyCaSpecAndBadSpecs) {
  Ca ca = NewCa();
  std::string key = GeneratePrivateKey().value();
  std::string csr = CreateCsr(key, "db1").value();
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(ca.cert, key, csr, LeafSpec()).status()));
  CertificateSpec spec = LeafSpec();
  spec.is_ca = true;
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(ca.cert, ca.key, csr, spec).status()));
  spec = LeafSpec();
  spec.not_after = spec.not_before;
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(ca.cert, ca.key, csr, spec).status()));
  spec = LeafSpec();
  spec.identity = "spiffe://dbdump/agent/a b";
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(ca.cert, ca.key, csr, spec).status()));
  spec = LeafSpec();
  spec.common_name = "";
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(ca.cert, ca.key, csr, spec).status()));
  // A leaf cannot act as a CA.
  std::string leaf = NewLeaf(ca, LeafSpec());
  EXPECT_TRUE(absl::IsInvalidArgument(IssueCertificate(leaf, key, csr, LeafSpec()).status()));
}

TEST_F(PkiTest, EncryptedKeyIsRefusedWithoutPrompting) {
  std::string key = Write("key.pem", GeneratePrivateKey().value());
  CommandResult r = RunCommand(absl::StrCat(kOpenssl, " pkey -in ", key,
                                            " -aes256 -passout pass:x -out ", Path("enc.pem")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(Path("enc.pem"));
  std::stringstream enc;
  enc << in.rdbuf();
  EXPECT_TRUE(absl::IsInvalidArgument(PrivateKeyPublicFingerprint(enc.str()).status()));
}

TEST_F(PkiTest, OpensslCliAgreesWithIssuedCertificates) {
  Ca ca = NewCa();
  std::string key;
  std::string leaf = NewLeaf(ca, LeafSpec("db1"), &key);
  CertificateInfo info = InspectCertificate(leaf).value();
  std::string ca_file = Write("ca.pem", ca.cert);
  std::string leaf_file = Write("leaf.pem", leaf);
  std::string key_file = Write("key.pem", key);

  CommandResult fp =
      RunCommand(absl::StrCat(kOpenssl, " x509 -noout -fingerprint -sha256 -in ", leaf_file));
  ASSERT_EQ(fp.exit_code, 0) << fp.output;
  auto normalized = NormalizeFingerprint(fp.output);
  ASSERT_TRUE(normalized.ok()) << normalized.status() << " for " << fp.output;
  EXPECT_EQ(*normalized, info.fingerprint);

  CommandResult verify =
      RunCommand(absl::StrCat(kOpenssl, " verify -CAfile ", ca_file, " ", leaf_file));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_TRUE(absl::StrContains(verify.output, ": OK")) << verify.output;
  // As a TLS client and a TLS server certificate both.
  for (const char* purpose : {"sslclient", "sslserver"}) {
    CommandResult r = RunCommand(absl::StrCat(kOpenssl, " verify -purpose ", purpose,
                                              " -CAfile ", ca_file, " ", leaf_file));
    EXPECT_EQ(r.exit_code, 0) << purpose << ": " << r.output;
  }

  CommandResult san =
      RunCommand(absl::StrCat(kOpenssl, " x509 -noout -ext subjectAltName -in ", leaf_file));
  EXPECT_EQ(san.exit_code, 0) << san.output;
  EXPECT_TRUE(absl::StrContains(san.output, "URI:spiffe://dbdump/agent/db1")) << san.output;

  CommandResult serial = RunCommand(absl::StrCat(kOpenssl, " x509 -noout -serial -in ", leaf_file));
  EXPECT_EQ(absl::AsciiStrToLower(absl::StripAsciiWhitespace(serial.output)),
            absl::StrCat("serial=", info.serial));

  CommandResult ext = RunCommand(absl::StrCat(
      kOpenssl, " x509 -noout -ext basicConstraints,keyUsage,extendedKeyUsage,"
                "subjectKeyIdentifier,authorityKeyIdentifier -in ", leaf_file));
  EXPECT_TRUE(absl::StrContains(ext.output, "CA:FALSE")) << ext.output;
  EXPECT_TRUE(absl::StrContains(ext.output, "Digital Signature")) << ext.output;
  EXPECT_TRUE(absl::StrContains(ext.output, "TLS Web Server Authentication")) << ext.output;
  EXPECT_TRUE(absl::StrContains(ext.output, "TLS Web Client Authentication")) << ext.output;
  EXPECT_TRUE(absl::StrContains(ext.output, "Subject Key Identifier")) << ext.output;
  EXPECT_TRUE(absl::StrContains(ext.output, "Authority Key Identifier")) << ext.output;

  CommandResult ca_ext = RunCommand(
      absl::StrCat(kOpenssl, " x509 -noout -ext basicConstraints,keyUsage -in ", ca_file));
  EXPECT_TRUE(absl::StrContains(ca_ext.output, "CA:TRUE, pathlen:0")) << ca_ext.output;
  EXPECT_TRUE(absl::StrContains(ca_ext.output, "Certificate Sign, CRL Sign")) << ca_ext.output;

  // The public key fingerprint is SHA-256 over the DER SubjectPublicKeyInfo.
  CommandResult spki = RunCommand(absl::StrCat(kOpenssl, " pkey -in ", key_file,
                                               " -pubout -outform DER | ", kOpenssl,
                                               " dgst -sha256 -r"));
  ASSERT_EQ(spki.exit_code, 0) << spki.output;
  EXPECT_EQ(absl::StrCat("sha256:", spki.output.substr(0, 64)), info.public_key_fingerprint);
}

TEST_F(PkiTest, OpensslCliAcceptsOurCsr) {
  std::string key = GeneratePrivateKey().value();
  std::string csr_file = Write("csr.pem", CreateCsr(key, "db1").value());
  CommandResult r =
      RunCommand(absl::StrCat(kOpenssl, " req -verify -noout -subject -in ", csr_file));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "CN = db1")) << r.output;
}

TEST_F(PkiTest, ReadsCertificatesAndCsrsMadeByOpensslCli) {
  std::string key_file = Path("key.pem");
  std::string cert_file = Path("cert.pem");
  CommandResult r = RunCommand(absl::StrCat(
      kOpenssl, " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ",
      key_file, " -out ", cert_file,
      " -subj /CN=db1 -days 2 -addext subjectAltName=URI:spiffe://dbdump/agent/db1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::stringstream cert, key;
  cert << std::ifstream(cert_file).rdbuf();
  key << std::ifstream(key_file).rdbuf();

  auto info = InspectCertificate(cert.str());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->uris, std::vector<std::string>{"spiffe://dbdump/agent/db1"});
  EXPECT_EQ(info->common_name, "db1");
  EXPECT_EQ(info->public_key_fingerprint, PrivateKeyPublicFingerprint(key.str()).value());
  PeerIdentity peer = ParseIdentity(info->uris[0]);
  EXPECT_EQ(peer.kind, PeerIdentity::kAgent);
  EXPECT_EQ(peer.agent_name, "db1");
  CommandResult fp =
      RunCommand(absl::StrCat(kOpenssl, " x509 -noout -fingerprint -sha256 -in ", cert_file));
  EXPECT_EQ(NormalizeFingerprint(fp.output).value(), info->fingerprint);
  CommandResult serial = RunCommand(absl::StrCat(kOpenssl, " x509 -noout -serial -in ", cert_file));
  std::string cli_serial = absl::AsciiStrToLower(absl::StripAsciiWhitespace(serial.output));
  ASSERT_TRUE(absl::StartsWith(cli_serial, "serial="));
  cli_serial = cli_serial.substr(7);
  cli_serial.erase(0, cli_serial.find_first_not_of('0'));
  EXPECT_EQ(info->serial, cli_serial);
  EXPECT_EQ(info->not_after - info->not_before, absl::Hours(48));

  // A CSR from the CLI is issued by our CA, and the CLI verifies the result.
  std::string csr_file = Path("csr.pem");
  r = RunCommand(absl::StrCat(kOpenssl, " req -new -key ", key_file, " -subj /CN=whatever -out ",
                              csr_file));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::stringstream csr;
  csr << std::ifstream(csr_file).rdbuf();
  Ca ca = NewCa();
  auto leaf = IssueCertificate(ca.cert, ca.key, csr.str(), LeafSpec("db1"));
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_EQ(CsrPublicKeyFingerprint(csr.str()).value(), info->public_key_fingerprint);
  r = RunCommand(absl::StrCat(kOpenssl, " verify -CAfile ", Write("ca.pem", ca.cert), " ",
                              Write("leaf.pem", *leaf)));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(PkiFingerprintTest, NormalizeFingerprintAcceptsTheUsualForms) {
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string colons;
  for (size_t i = 0; i < hex.size(); i += 2) {
    absl::StrAppend(&colons, i == 0 ? "" : ":", absl::AsciiStrToUpper(hex.substr(i, 2)));
  }
  const std::string want = "sha256:" + hex;
  for (const std::string& in :
       {want, "sha256:" + absl::AsciiStrToUpper(hex), "SHA256:" + colons, "sha256:" + colons,
        "SHA256 Fingerprint=" + colons + "\n", "sha256 Fingerprint=" + colons, hex, colons,
        "  " + want + "  "}) {
    auto got = NormalizeFingerprint(in);
    ASSERT_TRUE(got.ok()) << in << ": " << got.status();
    EXPECT_EQ(*got, want) << in;
  }
}

TEST(PkiFingerprintTest, NormalizeFingerprintRefusesOtherText) {
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  for (const std::string& in :
       {std::string(), std::string("sha256:"), "sha256:" + hex.substr(2), "sha256:" + hex + "00",
        "sha256:" + hex.substr(1) + "g", "md5:" + hex, "sha1:" + hex.substr(24),
        "sha256:0:123" + hex.substr(4), "sha256:" + hex + ":"}) {
    auto got = NormalizeFingerprint(in);
    EXPECT_TRUE(absl::IsInvalidArgument(got.status())) << in;
    EXPECT_TRUE(absl::StrContains(got.status().message(), "sha256:<64 hex digits>")) << in;
  }
}

}  // namespace
}  // namespace dbdump
