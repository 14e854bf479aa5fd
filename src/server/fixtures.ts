import { createHash } from 'node:crypto';
import { faker } from '@faker-js/faker/locale/en';

/**
 * Seeded fixtures for the reference server: one user owning N workspaces with one agent each,
 * apps, listening ports and one git-auth provider. Agent `i` depends only on (seed, i), so the
 * same seed gives the same fleet (tokens included) however the agents are provisioned in batches.
 */
export interface FixtureApp {
  id: string;
  slug: string;
  displayName: string;
  url: string;
  icon: string;
  sharingLevel: 'owner' | 'authenticated' | 'public';
  /** Absent = no healthcheck (health `disabled`). */
  healthcheck?: { url: string; interval: number; threshold: number };
}

export interface FixturePort {
  process_name: string;
  network: 'tcp';
  port: number;
}

export interface FixtureAgent {
  id: string;
  /** Agent token (UUID). Secret. */
  token: string;
  name: string;
  workspaceId: string;
  workspaceName: string;
  resourceId: string;
  instanceId: string;
  architecture: string;
  operatingSystem: string;
  directory: string;
  startupScript: string;
  startupScriptTimeoutSeconds: number;
  motdFile: string;
  environmentVariables: Record<string, string> | null;
  connectionTimeoutSeconds: number;
  troubleshootingUrl: string;
  loginBeforeReady: boolean;
  apps: FixtureApp[];
  /** What the simulated agent reports before coderd's filter (protocol §5.14). */
  listeningPorts: FixturePort[];
}

export interface FixtureUser {
  id: string;
  username: string;
  /** `<id>-<secret>`: 10 + 22 characters. Secret. */
  apiKeyId: string;
  apiKeySecret: string;
  /** 32 bytes from which the owner's ed25519 git SSH key is derived. Secret. */
  sshSeed: Buffer;
}

export interface GitAuthProvider {
  id: string;
  type: 'github' | 'gitlab' | 'bitbucket' | 'azure-devops';
  regex: RegExp;
}

/** The one configured git-auth provider (coderd tries every provider; the last match wins). */
export const GIT_AUTH_PROVIDERS: readonly GitAuthProvider[] = [{ id: 'github', type: 'github', regex: /^(https?:\/\/)?github\.com(\/.*)?$/ }];

export const DEFAULT_TROUBLESHOOTING_URL = 'https://coder.com/docs/coder-oss/latest/templates#troubleshooting-templates';

function seedFor(seed: string, label: string): number[] {
  const digest = createHash('sha256').update(`${seed}/${label}`).digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)];
}

export function fixtureUser(seed: string): FixtureUser {
  faker.seed(seedFor(seed, 'user'));
  return {
    id: faker.string.uuid(),
    username:
      faker.internet
        .username()
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 32) || 'owner',
    apiKeyId: faker.string.alphanumeric(10),
    apiKeySecret: faker.string.alphanumeric(22),
    sshSeed: createHash('sha256').update(`${seed}/ssh-key`).digest(),
  };
}

const APP_KINDS = [
  { slug: 'code-server', name: 'code-server', port: 13337, icon: '/icon/code.svg' },
  { slug: 'jupyter', name: 'Jupyter', port: 8888, icon: '/icon/jupyter.svg' },
  { slug: 'web', name: 'Web preview', port: 3000, icon: '/icon/widgets.svg' },
  { slug: 'grafana', name: 'Grafana', port: 3001, icon: '/icon/grafana.svg' },
  { slug: 'docs', name: 'Docs', port: 8080, icon: '/icon/book.svg' },
] as const;

const PROCESSES: readonly FixturePort[] = [
  { process_name: 'node', network: 'tcp', port: 3000 },
  { process_name: 'python3', network: 'tcp', port: 8000 },
  { process_name: 'code-server', network: 'tcp', port: 13337 },
  { process_name: 'sshd', network: 'tcp', port: 22 },
  { process_name: 'postgres', network: 'tcp', port: 5432 },
  { process_name: 'java', network: 'tcp', port: 8080 },
  { process_name: 'ruby', network: 'tcp', port: 4000 },
  { process_name: '', network: 'tcp', port: 9229 },
  { process_name: 'redis-server', network: 'tcp', port: 6379 },
];

/** Agents `from` … `from + count - 1` for this seed. */
export function fixtureAgents(seed: string, from: number, count: number): FixtureAgent[] {
  const out: FixtureAgent[] = [];
  for (let i = from; i < from + count; i++) out.push(fixtureAgent(seed, i));
  return out;
}

function fixtureAgent(seed: string, index: number): FixtureAgent {
  faker.seed(seedFor(seed, `agent/${index}`));
  const word = `${faker.word.adjective()}-${faker.word.noun()}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const apps: FixtureApp[] = faker.helpers.arrayElements(APP_KINDS, { min: 0, max: 3 }).map((kind) => {
    const withHealth = faker.datatype.boolean({ probability: 0.6 });
    const app: FixtureApp = {
      id: faker.string.uuid(),
      slug: kind.slug,
      displayName: kind.name,
      url: `http://localhost:${kind.port}`,
      icon: kind.icon,
      sharingLevel: 'owner',
    };
    if (withHealth) app.healthcheck = { url: `http://localhost:${kind.port}/healthz`, interval: 5, threshold: 6 };
    return app;
  });
  const ports = faker.helpers.arrayElements(PROCESSES, { min: 2, max: 5 }).map((p) => ({ ...p }));
  return {
    id: faker.string.uuid(),
    token: faker.string.uuid(),
    name: faker.helpers.arrayElement(['main', 'dev', 'coder']),
    workspaceId: faker.string.uuid(),
    workspaceName: `${word}-${index}`.slice(-32).replace(/^-+/, ''),
    resourceId: faker.string.uuid(),
    instanceId: `i-${faker.string.hexadecimal({ length: 17, casing: 'lower', prefix: '' })}`,
    architecture: faker.helpers.arrayElement(['amd64', 'arm64']),
    operatingSystem: 'linux',
    directory: faker.datatype.boolean() ? '/home/coder' : '',
    startupScript: faker.datatype.boolean() ? 'code-server --auth none --port 13337 >/tmp/code-server.log 2>&1 &' : '',
    startupScriptTimeoutSeconds: 300,
    motdFile: '/etc/motd',
    environmentVariables: faker.datatype.boolean() ? { GIT_AUTHOR_NAME: faker.person.fullName() } : null,
    connectionTimeoutSeconds: 120,
    troubleshootingUrl: DEFAULT_TROUBLESHOOTING_URL,
    loginBeforeReady: true,
    apps,
    listeningPorts: ports,
  };
}
