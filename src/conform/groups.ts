/** The registry of conformance groups, in the order they run (`--only` takes these names). */
import type { ConformGroup } from './check.js';
import { authGroup } from './groups/auth.js';
import { coordinateGroup } from './groups/coordinate.js';
import { inputsGroup } from './groups/inputs.js';
import { listeningPortsGroup } from './groups/listening-ports.js';
import { ptyGroup } from './groups/pty.js';
import { rateLimitGroup } from './groups/rate-limit.js';
import { routesGroup } from './groups/routes.js';
import { statusGroup } from './groups/status.js';
import { v2Group } from './groups/v2.js';

export const CONFORM_GROUPS: readonly ConformGroup[] = [
  routesGroup,
  authGroup,
  inputsGroup,
  coordinateGroup,
  statusGroup,
  rateLimitGroup,
  listeningPortsGroup,
  ptyGroup,
  v2Group,
];

export const GROUP_NAMES: readonly string[] = CONFORM_GROUPS.map((g) => g.name);
