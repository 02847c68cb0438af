/** The parent's side of a fleet process (fleet.ts): fork it, ask it, stop and continue it. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited } from '../../test/helpers/process.js';
import type { FleetAnswer, FleetCommand, FleetReport, FleetStatus } from './fleet.js';

const ENTRY = fileURLToPath(new URL('./fleet.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export class Fleet {
  #seq = 0;
  readonly #waiting = new Map<number, { resolve(answer: FleetAnswer): void; reject(err: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: FleetAnswer) => {
      const waiter = this.#waiting.get(answer.seq);
      this.#waiting.delete(answer.seq);
      if ('error' in answer) waiter?.reject(new Error(`fleet: ${answer.error}`));
      else waiter?.resolve(answer);
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(`fleet process exited (${code ?? signal})`));
      this.#waiting.clear();
    });
  }

  static start(): Fleet {
    return new Fleet(fork(ENTRY, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  }

  /** Connects `count` new clients, `concurrency` at a time; resolves with their ids. */
  async connect(target: { url: string; appId: string; serverKey: string }, count: number, concurrency: number): Promise<string[]> {
    const answer = await this.#ask({ type: 'connect', ...target, count, concurrency });
    return (answer as { clientIds: string[] }).clientIds;
  }

  /** From `at` on, each client's next opened session counts as its resumption. */
  async mark(at: number): Promise<FleetStatus> {
    return (await this.#ask({ type: 'mark', at })) as FleetStatus;
  }

  async status(): Promise<FleetStatus> {
    return (await this.#ask({ type: 'status' })) as FleetStatus;
  }

  async report(): Promise<FleetReport> {
    return (await this.#ask({ type: 'report' })) as FleetReport;
  }

  /** SIGSTOP: every socket of the fleet stops reading (and its timers stop), at once. */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  /** Closes every client (each sends its last ACK), then ends the process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.thaw();
    await this.#ask({ type: 'close' }).catch(() => undefined);
    this.child.disconnect();
    await exited(this.child);
  }

  #ask(command: FleetCommand): Promise<FleetAnswer> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.child.send({ ...command, seq });
    });
  }
}
