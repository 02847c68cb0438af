/** The bench's side of its load agents (bench/load/agent.ts): start, command, stop. */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentCommand, AgentResponse } from '../load/protocol.js';
import { cpuSeconds, fileLimitFor, spawnNode, stopChild } from './proc.js';

const AGENT_SCRIPT = fileURLToPath(new URL('../load/agent.ts', import.meta.url));

class Agent {
  private nextRid = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private stderr = '';

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    child.on('message', (message: AgentResponse) => {
      const waiter = this.waiting.get(message.rid);
      if (!waiter) return;
      this.waiting.delete(message.rid);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`load agent ${index}: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      const err = new Error(`load agent ${index} exited (${code ?? signal})\n${this.stderr}`);
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.set(0, { resolve: () => resolve(), reject });
    });
  }

  request<T>(command: AgentCommand): Promise<T> {
    const rid = this.nextRid++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(rid, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...command, rid });
    });
  }
}

export class AgentPool {
  private constructor(private readonly agents: Agent[]) {}

  /** Starts `count` agents, each able to hold `socketsPerAgent` sockets. */
  static async start(count: number, socketsPerAgent: number): Promise<AgentPool> {
    const fileLimit = fileLimitFor(socketsPerAgent);
    const agents = Array.from({ length: count }, (_, i) => {
      const child = spawnNode(AGENT_SCRIPT, [], {
        execArgv: ['--import', 'tsx'],
        fileLimit,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
      return new Agent(i, child);
    });
    const pool = new AgentPool(agents);
    try {
      await Promise.all(agents.map((agent) => withTimeout(agent.ready(), 60_000, `load agent ${agent.index} did not start`)));
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.agents.length;
  }

  /** Sends one command to every agent (or a command made per agent) and gathers the answers. */
  all<T>(command: AgentCommand | ((index: number) => AgentCommand)): Promise<T[]> {
    return Promise.all(this.agents.map((agent) => agent.request<T>(typeof command === 'function' ? command(agent.index) : command)));
  }

  /** CPU seconds used so far by all agents together. */
  cpuSeconds(): number {
    let total = 0;
    for (const agent of this.agents) if (agent.child.pid !== undefined) total += cpuSeconds(agent.child.pid);
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.agents.map(async (agent) => {
        if (agent.child.connected) agent.child.disconnect();
        await stopChild(agent.child, 10_000);
      }),
    );
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} (after ${ms} ms)`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
