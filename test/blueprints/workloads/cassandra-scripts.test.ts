/**
 * The node scripts, executed for real by /bin/sh against stand-ins for getent, cqlsh, nodetool and
 * iotune on the PATH, and linted by shellcheck.
 */
import { spawn, spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  CASSANDRA_BOOTSTRAP_SCRIPT,
  CASSANDRA_PREPARE_CONFIG_SCRIPT,
  CASSANDRA_RUN_SCRIPT,
  SCYLLA_BOOTSTRAP_SCRIPT,
  SCYLLA_IOTUNE_SCRIPT,
} from '../../../blueprints/workloads/cassandra';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'cassandra-scripts-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function file(path: string, text: string, executable = false): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  if (executable) chmodSync(path, 0o755);
  return path;
}

function waitFor(cond: () => boolean, what: string, limitMs = 20000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > limitMs) return reject(new Error(`gave up waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('prepare-config.sh', () => {
  /** A getent stand-in: answers `ahosts` from a file, one address per line, as getent does (3 lines per address). */
  const fakeGetent = `#!/bin/sh
count=$(cat "$FAKE_DIR/calls" 2>/dev/null || echo 0)
echo $((count + 1)) > "$FAKE_DIR/calls"
[ "$1" = ahosts ] || exit 2
[ "$2" = "$EXPECT_NAME" ] || exit 2
if [ -n "\${RESOLVE_AFTER:-}" ] && [ "$count" -lt "$RESOLVE_AFTER" ]; then exit 2; fi
[ -s "$FAKE_DIR/seeds" ] || exit 2
while read -r ip; do
  printf '%s STREAM %s\\n%s DGRAM\\n%s RAW\\n' "$ip" "$2" "$ip" "$ip"
done < "$FAKE_DIR/seeds"
`;

  function setup(seeds: string[]) {
    const bin = join(work, 'bin');
    file(join(bin, 'getent'), fakeGetent, true);
    file(join(work, 'fake', 'seeds'), seeds.map((s) => `${s}\n`).join(''));
    file(join(work, 'image-conf', 'jvm17-server.options'), '-XX:+UseG1GC\n');
    file(join(work, 'image-conf', 'cassandra.yaml'), 'cluster_name: Test Cluster\n');
    file(
      join(work, 'templates', 'cassandra.yaml'),
      'listen_address: "@@POD_IP@@"\nseeds: "@@SEEDS@@"\nrpc_address: "@@POD_IP@@"\n',
    );
    file(join(work, 'templates', 'cassandra-rackdc.properties'), 'dc=dc1\nrack=rack-a\n');
    file(join(work, 'templates', 'prepare-config.sh'), CASSANDRA_PREPARE_CONFIG_SCRIPT);
    mkdirSync(join(work, 'conf'));
    return bin;
  }

  function run(seeds: string[], env: Record<string, string>, timeoutMs = 20000) {
    const bin = setup(seeds);
    return spawnSync('/bin/sh', [join(work, 'templates', 'prepare-config.sh')], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        FAKE_DIR: join(work, 'fake'),
        EXPECT_NAME: 'ring-seeds.db.svc.cluster.local',
        POD_NAME: 'ring-rack-a-1',
        POD_IP: '10.0.0.5',
        CONF_SRC: join(work, 'image-conf'),
        CONF_DST: join(work, 'conf'),
        TEMPLATES: join(work, 'templates'),
        SEED_SERVICE: 'ring-seeds.db.svc.cluster.local',
        SEED_COUNT: '3',
        JOINED_MARKER: join(work, 'data', 'system'),
        SEED_POLL_SECONDS: '0',
        ...env,
      },
      encoding: 'utf8',
      timeout: timeoutMs,
    });
  }
  const conf = (name: string) => readFileSync(join(work, 'conf', name), 'utf8');

  test('waits for every rack seed, then writes the config with the pod IP and the sorted seed list', () => {
    const r = run(['10.0.2.9', '10.0.1.7', '10.0.0.4', '10.0.1.7'], { SEED_WAIT_SECONDS: '300' });
    expect(r.status).toBe(0);
    expect(conf('cassandra.yaml')).toBe(
      'listen_address: "10.0.0.5"\nseeds: "10.0.0.4,10.0.1.7,10.0.2.9"\nrpc_address: "10.0.0.5"\n',
    );
    expect(conf('cassandra-rackdc.properties')).toBe('dc=dc1\nrack=rack-a\n');
    // The image's own files are kept, scripts are not copied.
    expect(conf('jvm17-server.options')).toBe('-XX:+UseG1GC\n');
    expect(existsSync(join(work, 'conf', 'prepare-config.sh'))).toBe(false);
  });

  test('keeps polling until the seed Service publishes the seeds', () => {
    const r = run(['10.0.0.4', '10.0.1.7', '10.0.2.9'], { SEED_WAIT_SECONDS: '300', RESOLVE_AFTER: '4' });
    expect(r.status).toBe(0);
    expect(Number(readFileSync(join(work, 'fake', 'calls'), 'utf8'))).toBe(5);
    expect(conf('cassandra.yaml')).toContain('seeds: "10.0.0.4,10.0.1.7,10.0.2.9"');
  });

  test('the first pod of a rack starts alone when no seed resolves after the wait, listing itself', () => {
    const r = run([], { POD_NAME: 'ring-rack-a-0', SEED_WAIT_SECONDS: '0' });
    expect(r.status).toBe(0);
    expect(conf('cassandra.yaml')).toContain('seeds: "10.0.0.5"');
    expect(r.stderr).toContain('going on with 0 of 3 seeds');
  });

  test('a seed adds itself when the Service does not list it yet', () => {
    const r = run(['10.0.1.7', '10.0.2.9'], {
      POD_NAME: 'ring-rack-a-0',
      SEED_COUNT: '2',
      SEED_WAIT_SECONDS: '300',
    });
    expect(r.status).toBe(0);
    expect(conf('cassandra.yaml')).toContain('seeds: "10.0.1.7,10.0.2.9,10.0.0.5"');
  });

  test('a non-seed goes on with the seeds that resolve after the wait, without listing itself', () => {
    const r = run(['10.0.1.7'], { SEED_WAIT_SECONDS: '0' });
    expect(r.status).toBe(0);
    expect(conf('cassandra.yaml')).toContain('seeds: "10.0.1.7"');
  });

  test('a node that joined before needs one seed only', () => {
    mkdirSync(join(work, 'data', 'system'), { recursive: true });
    const r = run(['10.0.1.7'], { SEED_WAIT_SECONDS: '100000' });
    expect(r.status).toBe(0);
    expect(conf('cassandra.yaml')).toContain('seeds: "10.0.1.7"');
  });

  test('a non-seed never starts without any seed', () => {
    const r = run([], { SEED_WAIT_SECONDS: '0', SEED_POLL_SECONDS: '1' }, 2500);
    expect(r.signal).toBe('SIGTERM');
    // Only the image's copy is there: the generated file is never written.
    expect(conf('cassandra.yaml')).toBe('cluster_name: Test Cluster\n');
  });

  test('creates the directories the database must own', () => {
    const dirs = [join(work, 'data', 'node'), join(work, 'commitlog', 'commitlog')];
    const r = run(['10.0.0.4', '10.0.1.7', '10.0.2.9'], { MAKE_DIRS: dirs.join(' ') });
    expect(r.status).toBe(0);
    for (const d of dirs) expect(existsSync(d)).toBe(true);
  });

  test('fails fast without the pod IP', () => {
    const r = run([], { POD_IP: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('POD_IP is not set');
  });
});

describe('run.sh', () => {
  const db = `#!/bin/sh
echo started > "$OUT/started"
trap 'echo drained > "$OUT/stopped"; exit 0' TERM
i=0
while [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
exit 3
`;

  test('forwards SIGTERM to the database and exits with its status', async () => {
    file(join(work, 'run.sh'), CASSANDRA_RUN_SCRIPT);
    file(join(work, 'db.sh'), db);
    const child = spawn('/bin/sh', [join(work, 'run.sh'), '/bin/sh', join(work, 'db.sh')], {
      env: { PATH: '/usr/bin:/bin', OUT: work, POD_NAME: 'ring-rack-a-0' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(join(work, 'started')), 'the database to start');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readFileSync(join(work, 'stopped'), 'utf8')).toBe('drained\n');
  });

  test('passes the database exit status through', () => {
    file(join(work, 'run.sh'), CASSANDRA_RUN_SCRIPT);
    const r = spawnSync('/bin/sh', [join(work, 'run.sh'), '/bin/sh', '-c', 'exit 7'], {
      env: { PATH: '/usr/bin:/bin', POD_NAME: 'x-1' },
    });
    expect(r.status).toBe(7);
  });

  test('runs the bootstrap script on the first pod only', async () => {
    file(join(work, 'run.sh'), CASSANDRA_RUN_SCRIPT);
    file(join(work, 'boot.sh'), `#!/bin/sh\necho "$POD_NAME" >> "${work}/booted"\n`);
    // The database waits a moment so that the background bootstrap gets to run.
    const dbCmd = ['/bin/sh', '-c', 'sleep 0.5'];
    for (const host of ['ring-rack-a-0', 'ring-rack-a-1', 'ring-rack-a-10']) {
      const r = spawnSync('/bin/sh', [join(work, 'run.sh'), ...dbCmd], {
        env: { PATH: '/usr/bin:/bin', POD_NAME: host, BOOTSTRAP_SCRIPT: join(work, 'boot.sh') },
      });
      expect(r.status).toBe(0);
    }
    // The bootstrap runs in the background; on a busy machine it may finish after the database.
    await waitFor(() => existsSync(join(work, 'booted')), 'the bootstrap script');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(join(work, 'booted'), 'utf8')).toBe('ring-rack-a-0\n');
  });
});

describe('bootstrap-superuser.sh (Apache Cassandra)', () => {
  /** A cqlsh stand-in: the default login works until retired; the new role works once created. */
  const fakeCqlsh = `#!/bin/sh
u=; p=; e=
while [ $# -gt 0 ]; do
  case "$1" in
    -u) u=$2; shift 2 ;;
    -p) p=$2; shift 2 ;;
    -e) e=$2; shift 2 ;;
    *) shift ;;
  esac
done
printf '%s|%s\\n' "$u" "$e" >> "$STATE/log"
if [ "$u" = cassandra ] && [ "$p" = cassandra ] && [ ! -e "$STATE/retired" ]; then
  case "$e" in *"CREATE ROLE"*) printf '%s' "$e" > "$STATE/created" ;; esac
  exit 0
fi
if [ "$u" = "$GOOD_USER" ] && [ "$p" = "$GOOD_PASSWORD" ] && [ -e "$STATE/created" ]; then
  case "$e" in *"ALTER ROLE cassandra"*) touch "$STATE/retired" ;; esac
  exit 0
fi
exit 1
`;
  // Fails as many times as the number in $STATE/repair-fails says, then succeeds.
  const fakeNodetool =
    '#!/bin/sh\necho "nodetool $*" >> "$STATE/log"\n' +
    'if [ -e "$STATE/repair-fails" ]; then n=$(cat "$STATE/repair-fails"); ' +
    'if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STATE/repair-fails"; exit 2; fi; fi\nexit 0\n';

  function run(user: string, password: string, extra: Record<string, string> = {}, timeoutMs = 20000) {
    const bin = join(work, 'bin');
    file(join(bin, 'cqlsh'), fakeCqlsh, true);
    file(join(bin, 'nodetool'), fakeNodetool, true);
    file(join(work, 'secret', 'username'), user);
    file(join(work, 'secret', 'password'), password);
    file(join(work, 'bootstrap.sh'), CASSANDRA_BOOTSTRAP_SCRIPT);
    mkdirSync(join(work, 'state'), { recursive: true });
    return spawnSync('/bin/sh', [join(work, 'bootstrap.sh')], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        STATE: join(work, 'state'),
        GOOD_USER: user,
        GOOD_PASSWORD: password,
        CQL_HOST: '10.0.0.5',
        CQL_PORT: '9042',
        SUPERUSER_DIR: join(work, 'secret'),
        DATACENTER: 'eu-west',
        SYSTEM_RF: '3',
        MARKER: join(work, 'marker'),
        RETRY_SECONDS: '0',
        ...extra,
      },
      encoding: 'utf8',
      timeout: timeoutMs,
    });
  }
  const log = () =>
    readFileSync(join(work, 'state', 'log'), 'utf8')
      .trim()
      .split('\n');

  test('creates the role from the Secret, replicates and repairs system_auth, retires the default login', () => {
    const r = run('ad"min', "se'cret");
    expect(r.status).toBe(0);
    expect(existsSync(join(work, 'marker'))).toBe(true);
    expect(readFileSync(join(work, 'state', 'created'), 'utf8')).toBe(
      `CREATE ROLE IF NOT EXISTS "ad""min" WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = 'se''cret'`,
    );
    const lines = log();
    const repl = "{'class': 'NetworkTopologyStrategy', 'eu-west': 3}";
    expect(lines).toContain(
      `ad"min|ALTER KEYSPACE system_auth WITH replication = ${repl}; ALTER KEYSPACE system_distributed WITH replication = ${repl}; ` +
        `ALTER KEYSPACE system_traces WITH replication = ${repl};`,
    );
    expect(lines).toContain('ad"min|ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false');
    expect(lines[lines.length - 1]).toBe('nodetool repair -full system_auth');
    // The role is created with the default login, everything after with the new one.
    const created = lines.findIndex((l) => l.includes('CREATE ROLE'));
    expect(lines[created].startsWith('cassandra|')).toBe(true);
    expect(lines.slice(created + 1).every((l) => !l.startsWith('cassandra|'))).toBe(true);
  });

  test('keeps retrying until the repair succeeds, and only then writes the marker', () => {
    mkdirSync(join(work, 'state'), { recursive: true });
    writeFileSync(join(work, 'state', 'repair-fails'), '2');
    const r = run('admin', 'pw', { RETRY_SECONDS: '0' });
    expect(r.status).toBe(0);
    // Two failed repairs, then the one that succeeds; the marker only after it.
    expect(log().filter((l) => l === 'nodetool repair -full system_auth')).toHaveLength(3);
    expect(log()[log().length - 1]).toBe('nodetool repair -full system_auth');
    expect(existsSync(join(work, 'marker'))).toBe(true);
  });

  test('does nothing once the marker exists', () => {
    writeFileSync(join(work, 'marker'), '');
    const r = run('admin', 'pw');
    expect(r.status).toBe(0);
    expect(existsSync(join(work, 'state', 'log'))).toBe(false);
  });

  test('refuses an empty username or password', () => {
    const r = run('', 'pw');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('non-empty username and password');
  });
});

describe('bootstrap-superuser.sh (ScyllaDB)', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  test('creates (or resets) the role over the maintenance socket and retires a default cassandra role', async () => {
    const sock = join(work, 'cql.m');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
    const bin = join(work, 'bin');
    file(
      join(bin, 'cqlsh'),
      `#!/bin/sh\n[ "$1" = "$EXPECT_SOCKET" ] || exit 9\nshift\nwhile [ $# -gt 0 ]; do case "$1" in -e) printf '%s\\n' "$2" >> "$LOG"; shift 2 ;; *) shift ;; esac; done\n`,
      true,
    );
    file(join(work, 'secret', 'username'), 'admin');
    file(join(work, 'secret', 'password'), "p'w");
    file(join(work, 'bootstrap.sh'), SCYLLA_BOOTSTRAP_SCRIPT);
    const r = spawnSync('/bin/sh', [join(work, 'bootstrap.sh')], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        EXPECT_SOCKET: sock,
        LOG: join(work, 'log'),
        MAINTENANCE_SOCKET: sock,
        SUPERUSER_DIR: join(work, 'secret'),
        RETRY_SECONDS: '0',
      },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status).toBe(0);
    expect(readFileSync(join(work, 'log'), 'utf8').trim().split('\n')).toEqual([
      'SELECT key FROM system.local',
      `CREATE ROLE IF NOT EXISTS "admin" WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = 'p''w'`,
      `ALTER ROLE "admin" WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = 'p''w'`,
      'ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false',
    ]);
  });

  test('waits for the socket to exist', () => {
    file(join(work, 'secret', 'username'), 'admin');
    file(join(work, 'secret', 'password'), 'pw');
    file(join(work, 'bootstrap.sh'), SCYLLA_BOOTSTRAP_SCRIPT);
    const r = spawnSync('/bin/sh', [join(work, 'bootstrap.sh')], {
      env: {
        PATH: '/usr/bin:/bin',
        MAINTENANCE_SOCKET: join(work, 'missing.m'),
        SUPERUSER_DIR: join(work, 'secret'),
        RETRY_SECONDS: '1',
      },
      timeout: 2500,
    });
    expect(r.signal).toBe('SIGTERM');
  });
});

describe('iotune.sh (ScyllaDB)', () => {
  function run() {
    const bin = join(work, 'bin');
    file(
      join(bin, 'iotune'),
      `#!/bin/sh\necho "iotune $*" >> "${work}/log"\nwhile [ $# -gt 0 ]; do [ "$1" = --properties-file ] && printf 'disks: []\\n' > "$2"; shift; done\n`,
      true,
    );
    file(join(work, 'iotune.sh'), SCYLLA_IOTUNE_SCRIPT);
    return spawnSync('/bin/sh', [join(work, 'iotune.sh')], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        IO_PROPERTIES: join(work, 'io_properties.yaml'),
        EVALUATION_DIR: join(work, 'node', 'data'),
        SMP: '4',
        MEMORY: '14848M',
      },
      encoding: 'utf8',
    });
  }

  test('measures once and keeps the result', () => {
    expect(run().status).toBe(0);
    expect(readFileSync(join(work, 'io_properties.yaml'), 'utf8')).toBe('disks: []\n');
    expect(readFileSync(join(work, 'log'), 'utf8')).toBe(
      `iotune --evaluation-directory ${join(work, 'node', 'data')} --properties-file ${join(work, 'io_properties.yaml')}.tmp --smp 4 --memory 14848M\n`,
    );
    expect(run().status).toBe(0);
    expect(readFileSync(join(work, 'log'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
