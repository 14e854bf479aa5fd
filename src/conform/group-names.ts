/**
 * The conformance groups' names in run order, without loading the groups themselves (they pull in
 * the clients, ws, undici and the v2 protobuf code): `fleetsim conform --help` lists them and
 * `--only` checks them before anything is loaded. test/conform/group-names.test.ts holds this
 * list equal to the registry in groups.ts.
 */
export const GROUP_NAMES: readonly string[] = ['routes', 'auth', 'inputs', 'coordinate', 'status', 'rate-limit', 'listening-ports', 'pty', 'v2'];
