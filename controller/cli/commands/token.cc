// "token create|list|revoke": API tokens with roles. The secret is printed
// once, at creation.
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

const char* RoleText(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return "viewer";
    case v1::ROLE_OPERATOR:
      return "operator";
    case v1::ROLE_ADMIN:
      return "admin";
    default:
      return "?";
  }
}

absl::Status TokenCreate(CommandContext& context, const ParsedArgs& args) {
  v1::CreateTokenRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("token name", req.name()));
  std::string role = args.Get("role");
  if (role == "viewer") {
    req.set_role(v1::ROLE_VIEWER);
  } else if (role == "operator") {
    req.set_role(v1::ROLE_OPERATOR);
  } else if (role == "admin") {
    req.set_role(v1::ROLE_ADMIN);
  } else {
    return UsageError("--role is viewer, operator or admin");
  }
  ASSIGN_OR_RETURN(uint32_t ttl, args.GetUint32("ttl-hours", 0, 0, 24 * 3650));
  req.set_ttl_hours(ttl);
  ASSIGN_OR_RETURN(v1::CreateTokenResponse resp, context.client().CreateToken(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "token \"" << resp.token().name() << "\" (" << RoleText(resp.token().role())
                << ") created" << (resp.token().expires_at().empty()
                                       ? ""
                                       : ", expires " + resp.token().expires_at())
                << ". It is shown only now; keep it in a 0600 file or a secret store:\n"
                << resp.secret() << "\n";
  return absl::OkStatus();
}

absl::Status TokenList(CommandContext& context, const ParsedArgs& args) {
  v1::ListTokensRequest req;
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListTokensResponse resp, context.client().ListTokens(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"NAME", "ROLE", "CREATED", "BY", "EXPIRES", "LAST USED", "REVOKED"});
  for (const v1::ApiToken& t : resp.tokens()) {
    table.AddRow({t.name(), RoleText(t.role()), t.created_at(), t.created_by(),
                  t.expires_at().empty() ? "never" : t.expires_at(), t.last_used_at(),
                  t.revoked_at()});
  }
  table.Print(context.out());
  PrintNextPage(context, "tokens", resp.next_page_token());
  return absl::OkStatus();
}

absl::Status TokenRevoke(CommandContext& context, const ParsedArgs& args) {
  v1::RevokeTokenRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("token name", req.name()));
  ASSIGN_OR_RETURN(v1::RevokeTokenResponse resp, context.client().RevokeToken(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "token \"" << req.name() << "\" revoked\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> TokenVerbs() {
  VerbSpec create;
  create.noun = "token";
  create.verb = "create";
  create.positionals = {"NAME"};
  create.flags = {ValueFlag("role", "viewer|operator|admin", /*required=*/true),
                  ValueFlag("ttl-hours", "N")};
  create.run = TokenCreate;
  VerbSpec list;
  list.noun = "token";
  list.verb = "list";
  list.flags = {ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
  list.run = TokenList;
  VerbSpec revoke;
  revoke.noun = "token";
  revoke.verb = "revoke";
  revoke.positionals = {"NAME"};
  revoke.run = TokenRevoke;
  return {create, list, revoke};
}

}  // namespace dbdump
