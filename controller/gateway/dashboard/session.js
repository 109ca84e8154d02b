// Who is signed in and what they may do. The gateway answers GET
// /v1/session with the token's name, role and actor; buttons of actions
// the role may not take are not rendered at all (hidden, not disabled).
// The gateway enforces the same roles; this only keeps the page honest.

const RANK = { ROLE_VIEWER: 1, ROLE_OPERATOR: 2, ROLE_ADMIN: 3 };

// The least role of each action, as the controller's access table has it
// (controller/auth/rpc_access.cc; a restore that writes needs admin, a
// test restore or dry run operator; cancelling a restore that writes needs
// admin too, which the server checks).
const NEEDS = {
  'backup.run': 'ROLE_OPERATOR',
  'backup.verify': 'ROLE_OPERATOR',
  'backup.test_restore': 'ROLE_OPERATOR',
  'backup.dry_run': 'ROLE_OPERATOR',
  'backup.restore': 'ROLE_ADMIN',
  'backup.download': 'ROLE_ADMIN',
  'backup.delete': 'ROLE_ADMIN',
  'backup.copy': 'ROLE_OPERATOR',
  'job.cancel': 'ROLE_OPERATOR',
  'schedule.run': 'ROLE_OPERATOR',
  'schedule.enable': 'ROLE_OPERATOR',
  'tokens.view': 'ROLE_ADMIN',
  'tokens.manage': 'ROLE_ADMIN',
  'agent.enroll': 'ROLE_ADMIN',
  'agent.revoke': 'ROLE_ADMIN',
};

let current = null;

export function setSession(s) {
  current = s;
}

export function session() {
  return current;
}

export function can(action) {
  if (!current) return false;
  const need = NEEDS[action];
  if (!need) throw new Error(`unknown action ${action}`);
  return (RANK[current.role] || 0) >= RANK[need];
}
