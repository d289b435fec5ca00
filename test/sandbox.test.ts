/**
 * The run_code sandbox (issue 11.7) on the real bubblewrap: code runs, and every escape a hostile
 * program tries is contained — network, writing outside /tmp, /etc/shadow, the kernel's own
 * environment, a fork bomb, a CPU loop, a memory bomb, a flood of output — with this process unharmed.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { formatRun, runSandboxed } from '../activities/tools/run-code';
import { createRunCgroup } from '../activities/tools/sandbox-cgroup';
import { DEFAULT_SANDBOX_LIMITS, sandboxArgv } from '../kernel/tools/sandbox';

setDefaultTimeout(60_000);

// Where the node may not create a cgroup (not root), only the per-process limits hold, as the README says.
const probe = createRunCgroup(0, 1 << 30, 64);
const cgroupAvailable = probe !== null;
await probe?.remove();

// A secret in the kernel's environment, as a provider key would be.
process.env.AOK_SANDBOX_PROBE_SECRET = 'sk-live-sandbox-probe-31337';

/** Processes the sandbox user still has on the host, after giving killed ones up to 3 s to be reaped (none may outlive a run). */
async function nobodyProcesses(): Promise<string> {
  let left = '';
  for (let i = 0; i < 30; i++) {
    const ps = Bun.spawn(['ps', '-u', '65534', '-o', 'pid=,comm='], { stdout: 'pipe' });
    left = (await new Response(ps.stdout).text()).trim();
    if (left === '') return left;
    await Bun.sleep(100);
  }
  return left;
}

describe('run_code runs code', () => {
  test('TypeScript on Bun, JavaScript and Python; stdin reaches the program; a failing program reports its exit code', async () => {
    expect(await runSandboxed('typescript', 'const n: number = 6 * 7; console.log(`answer ${n}`)')).toMatchObject({ exitCode: 0, stdout: 'answer 42\n', killed: null });
    expect((await runSandboxed('javascript', 'console.log([1, 2, 3].map((x) => x * 2).join(","))')).stdout).toBe('2,4,6\n');
    expect((await runSandboxed('python', 'import sys; print(sys.stdin.read().upper())', { stdin: 'hello' })).stdout).toBe('HELLO\n');
    const failing = await runSandboxed('python', 'raise SystemExit(3)');
    expect(failing.exitCode).toBe(3);
    expect(formatRun(failing)).toStartWith('exit code 3');
  });

  test('without bubblewrap it refuses and runs nothing (it never falls back to running unsandboxed)', async () => {
    await expect(runSandboxed('python', 'print("ran")', { bwrapCandidates: ['/nonexistent/bwrap'] })).rejects.toThrow('never runs code unsandboxed');
  });

  test('the command line confines it: no host /, nobody, every namespace, limits', () => {
    const argv = sandboxArgv({ setpriv: '/usr/bin/setpriv', bwrap: '/usr/bin/bwrap', prlimit: '/usr/bin/prlimit', codeDir: '/tmp/c', interpreter: { hostPath: '/usr/bin/python3', sandboxPath: '/usr/bin/python3', args: [] } }, 'main.py');
    expect(argv).toContain('--unshare-all');
    expect(argv).toContain('--clearenv');
    expect(argv).toContain('--reuid=65534');
    expect(argv.join(' ')).not.toContain('--bind / /');
    expect(argv.join(' ')).not.toContain('--ro-bind / /');
    expect(argv).toContain(`--cpu=${DEFAULT_SANDBOX_LIMITS.cpuSeconds}`);
  });
});

describe('escapes are contained', () => {
  test('no network: not the local Postgres, not the internet', async () => {
    const run = await runSandboxed('javascript', `
      for (const url of ['http://127.0.0.1:5432', 'http://example.com']) {
        try { await fetch(url, { signal: AbortSignal.timeout(3000) }); console.log('REACHED', url); } catch (e) { console.log('blocked', url); }
      }`);
    expect(run.stdout).not.toContain('REACHED');
    expect(run.stdout.match(/blocked/g)).toHaveLength(2);
  });

  test('writes outside /tmp fail; /tmp is private to the run', async () => {
    const run = await runSandboxed('python', `
import os
for path in ['/x', '/usr/x', '/code/x', '/etc/x', '/root/x', '/dev/x', '/dev/shm/x', '/proc/x']:
    try:
        open(path, 'w').write('x'); print('WROTE', path)
    except OSError as e:
        print('refused', path)
open('/tmp/mine', 'w').write('ok'); print('tmp', open('/tmp/mine').read())`);
    expect(run.stdout).not.toContain('WROTE');
    expect(run.stdout).toContain('tmp ok');
    const next = await runSandboxed('python', "import os; print(os.path.exists('/tmp/mine'))");
    expect(next.stdout.trim()).toBe('False');
  });

  test('the host’s secrets are not there: /etc/shadow, the kernel’s environment, its /proc, /root', async () => {
    const run = await runSandboxed('python', `
import os
for path in ['/etc/shadow', '/etc/passwd', '/proc/1/environ', '/root/.bashrc', '/proc/self/environ']:
    try:
        print(path, open(path, 'rb').read()[:200])
    except OSError as e:
        print(path, 'unreadable', type(e).__name__)
print('env', dict(os.environ))
print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))`);
    expect(run.stdout).not.toContain('sk-live-sandbox-probe');
    expect(run.stdout).not.toContain('AOK_');
    expect(run.stdout).not.toContain('root:');
    expect(run.stdout).toContain('/etc/shadow unreadable');
    // Its own PID namespace: it sees itself and its init, not the host's processes.
    const pids = JSON.parse(/pids (\[.*\])/.exec(run.stdout)![1]!) as number[];
    expect(pids.length).toBeLessThanOrEqual(3);
  });

  test('a fork bomb stops at the process limit and leaves nothing behind', async () => {
    const run = await runSandboxed('python', `
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(30); os._exit(0)
        n += 1
except OSError:
    print('stopped after', n)`);
    const forked = Number(/stopped after (\d+)/.exec(run.stdout)?.[1] ?? 'NaN');
    expect(forked).toBeLessThan(DEFAULT_SANDBOX_LIMITS.processes);
    // The sleeping children die with the sandbox.
    expect(await nobodyProcesses()).toBe('');
  });

  test('an endless loop is killed by its CPU limit; one that sleeps forever by the wall clock', async () => {
    const started = performance.now();
    const spin = await runSandboxed('javascript', 'for (;;) {}');
    expect(spin.exitCode).not.toBe(0);
    expect(performance.now() - started).toBeLessThan(DEFAULT_SANDBOX_LIMITS.wallMs + 5_000);
    const sleeper = await runSandboxed('python', 'import time; time.sleep(3600)', { limits: { ...DEFAULT_SANDBOX_LIMITS, wallMs: 1_500 } });
    expect(sleeper.killed).toBe('wall_clock');
  });

  test('no user namespace of its own: it cannot become root inside, or mount anything', async () => {
    const run = await runSandboxed('python', `
import os
for cmd in ['unshare -r id -u', 'unshare -rm sh -c "mount -t tmpfs none /tmp && echo MOUNTED"']:
    print(cmd.split()[0], os.system(cmd + ' 2>/dev/null'))
print('uid', os.getuid(), 'has-unshare', os.path.exists('/usr/bin/unshare'))`);
    expect(run.stdout).toContain('has-unshare True');
    expect(run.stdout).not.toContain('MOUNTED');
    expect(run.stdout).toContain('uid 65534');
    expect(run.stdout).not.toMatch(/^0$/m);
  });

  test.skipIf(!cgroupAvailable)('several processes together cannot pass the run’s memory (a cgroup)', async () => {
    const run = await runSandboxed('python', `
import os, time
kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            x = bytearray(600 * 1024 * 1024)
            for j in range(0, len(x), 4096): x[j] = 1
            time.sleep(2)
            os._exit(0)
        except MemoryError:
            os._exit(3)
    kids.append(pid)
held = 0
for pid in kids:
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0: held += 1
print('held', held)`);
    const held = Number(/held (\d)/.exec(run.stdout)?.[1] ?? '0');
    // 4 × 600 MiB would be 2.4 GiB; the run has 1 GiB, so at most one child holds its share to the end.
    expect(held).toBeLessThanOrEqual(1);
  });

  test('a memory bomb fails inside the sandbox', async () => {
    const run = await runSandboxed('python', "x = []\nwhile True: x.append(bytearray(50 * 1024 * 1024))");
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('MemoryError');
  });

  test('a flood of output is cut at the cap and the program killed', async () => {
    const run = await runSandboxed('python', "while True: print('y' * 1000)");
    expect(run.killed).toBe('output_limit');
    expect(run.stdout.length).toBeLessThanOrEqual(DEFAULT_SANDBOX_LIMITS.outputBytes);
    expect(formatRun(run)).toContain('output truncated');
  });

  test('a cancelled call (its agent killed) kills the sandbox at once', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const run = await runSandboxed('python', 'import time; time.sleep(60)', { signal: controller.signal });
    expect(run.killed).toBe('cancelled');
  });

  test('after all of it, this process and the host are unharmed', async () => {
    expect((await runSandboxed('python', 'print("still fine")')).stdout).toBe('still fine\n');
    expect(await nobodyProcesses()).toBe('');
  });
});
