/**
 * A PostgreSQL 15 server of the chaos run's own: initdb in a temporary folder, a free port, its unix
 * socket in that folder, fsync on (a crash must be a real crash), so the run may SIGKILL it and cut its
 * connections without touching the machine's shared server on 5432.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from '@paystream/shared/testing';

/** Where Debian's PostgreSQL 15 binaries live (POSTGRES_BIN_DIR overrides). */
export const POSTGRES_BIN_DIR_DEFAULT = '/usr/lib/postgresql/15/bin';
/** The machine's shared server: never the chaos run's. */
const SHARED_POSTGRES_PORT = 5432;
/** How long the server may take to accept connections after a start (crash recovery included). */
const POSTGRES_READY_TIMEOUT_MS = 60_000;
/** Two replicas of four services with their pools, ops, the runner and the auditor fit well below this. */
const POSTGRES_MAX_CONNECTIONS = 300;
/** The OS user that owns the cluster when the run is root (initdb refuses to run as root). */
const POSTGRES_OS_USER = 'postgres';

export class OwnPostgres {
  port = 0;
  private readonly dir: string;
  private child?: ChildProcess;
  private readonly bin: string;

  constructor(private readonly logFile: string, bin = process.env.POSTGRES_BIN_DIR ?? POSTGRES_BIN_DIR_DEFAULT) {
    this.bin = bin;
    this.dir = mkdtempSync(join(tmpdir(), 'paystream-chaos-pg-'));
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A URL for one database of this server. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** initdb (once), start, and create the databases. */
  async start(databases: readonly string[]): Promise<void> {
    if (!existsSync(join(this.bin, 'initdb'))) throw new Error(`no PostgreSQL binaries in ${this.bin} (set POSTGRES_BIN_DIR)`);
    if (runningAsRoot()) chownSync(this.dir, ...postgresIds());
    const init = spawnSync(...this.asPostgres(join(this.bin, 'initdb'), ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']), { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    this.port = await freePort();
    if (this.port === SHARED_POSTGRES_PORT) throw new Error('refusing to run the chaos Postgres on the shared port 5432');
    await this.launch();
    const admin = new Client({ connectionString: this.url('postgres') });
    await admin.connect();
    try {
      for (const db of databases) await admin.query(`CREATE DATABASE "${db}"`);
    } finally {
      await admin.end();
    }
  }

  /** The postmaster's pid (its backends are in its process group). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** A crash: SIGKILL of the postmaster and every backend (its process group), no shutdown checkpoint. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    // the backends of the killed group exit with it; wait until none holds the data directory
    await waitFor(() => (spawnSync('pgrep', ['-g', String(child.pid)]).status === 0 ? undefined : true), 10_000, 'the killed backends to exit', 50);
    this.child = undefined;
  }

  /** Starts the server again on the same port: PostgreSQL replays its WAL (crash recovery). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Cuts every connection but the caller's own (pg_terminate_backend), as a failover or a network cut would. */
  async cutConnections(): Promise<number> {
    const c = new Client({ connectionString: this.url('postgres') });
    await c.connect();
    try {
      const r = await c.query(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS cut FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`);
      return Number(r.rows[0].cut);
    } finally {
      await c.end();
    }
  }

  /** Stops the server (fast shutdown, then SIGKILL) and removes its folder. */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGINT');
      const timer = setTimeout(() => this.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${POSTGRES_MAX_CONNECTIONS}`, '-c', 'shared_buffers=64MB', '-c', 'fsync=on'];
    const log = createWriteStream(this.logFile, { flags: 'a' });
    // detached: the postmaster leads its own process group, so a crash can take every backend with it
    const child = spawn(...this.asPostgres(join(this.bin, 'postgres'), args), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}; see ${this.logFile}`);
        const c = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1_000 });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } catch {
          return undefined;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      POSTGRES_READY_TIMEOUT_MS,
      `the chaos Postgres on ${this.port} (log: ${this.logFile})`,
      200,
    );
  }

  /** The command line that runs a binary as the postgres OS user when the run is root (setpriv execs, so the pid is the server's). */
  private asPostgres(binary: string, args: string[]): [string, string[]] {
    return runningAsRoot() ? ['setpriv', [`--reuid=${POSTGRES_OS_USER}`, `--regid=${POSTGRES_OS_USER}`, '--init-groups', binary, ...args]] : [binary, args];
  }
}

function runningAsRoot(): boolean {
  return userInfo().uid === 0;
}

function postgresIds(): [number, number] {
  const out = spawnSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`running as root, and there is no ${POSTGRES_OS_USER} OS user to run initdb as`);
  return [Number(out.stdout.trim()), Number(gid.stdout.trim())];
}
