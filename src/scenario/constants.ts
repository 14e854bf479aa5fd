/** Fixed vocabularies of the scenario schema. */

/** Endpoints a `rest.mix` may name (route templates relative to /api/v2/workspaceagents). */
export const REST_ENDPOINTS = [
  'GET /{id}',
  'GET /{id}/connection',
  'GET /{id}/listening-ports',
  'GET /me/metadata',
  'GET /me/gitsshkey',
  'POST /me/report-stats',
  'POST /me/app-health',
  'POST /me/version',
  'POST /me/report-lifecycle',
] as const;
export type RestEndpoint = (typeof REST_ENDPOINTS)[number];

export const AUTH_MODES = ['token', 'aws', 'azure', 'google'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const LIFECYCLE_OUTCOMES = ['ready', 'start_error', 'start_timeout'] as const;
export type LifecycleOutcome = (typeof LIFECYCLE_OUTCOMES)[number];
