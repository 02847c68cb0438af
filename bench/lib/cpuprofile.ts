/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and ranks where the time went: self time
 * per function, and inclusive time (each sample counted once per function on its stack).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Ranked {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idlePercent: number;
  readonly self: Ranked[];
  readonly inclusive: Ranked[];
  /** Self time per source (sealpush src/, node internals, a package, ...). */
  readonly byArea: Ranked[];
}

function frameKey(node: ProfileNode, root: string): { name: string; where: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(root, '');
  return { name: functionName || '(anonymous)', where: file ? `${file}:${lineNumber + 1}` : '' };
}

export function area(where: string): string {
  if (where === '') return '(native/VM)';
  if (where.startsWith('src/')) return where.split('/').slice(0, 3).join('/').replace(/:\d+$/, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return `npm:${pkg[1]}`;
  if (where.startsWith('node:')) return 'node internals';
  return where.replace(/:\d+$/, '');
}

/** A window of monotonic microseconds (the clock of the profile's timestamps and of nowUs()). */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export function summariseProfile(path: string, root: string, top = 25, window?: ProfileWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

  const selfByFn = new Map<string, { name: string; where: string; us: number }>();
  const inclByFn = new Map<string, { name: string; where: string; us: number }>();
  const areaUs = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const key = frameKey(node, root);
    const k = `${key.name} ${key.where}`;
    const s = selfByFn.get(k) ?? { ...key, us: 0 };
    s.us += us;
    selfByFn.set(k, s);
    if (key.name === '(idle)') idleUs += us;
    else {
      const a = key.name === '(garbage collector)' ? '(garbage collector)' : key.name === '(program)' ? '(program)' : area(key.where);
      areaUs.set(a, (areaUs.get(a) ?? 0) + us);
    }
    // Inclusive: each distinct function on this sample's stack once.
    const onStack = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = frameKey(byId.get(cur)!, root);
      if (f.name === '(root)') continue;
      onStack.add(`${f.name} ${f.where}`);
      if (!inclByFn.has(`${f.name} ${f.where}`)) inclByFn.set(`${f.name} ${f.where}`, { ...f, us: 0 });
    }
    for (const k2 of onStack) inclByFn.get(k2)!.us += us;
  }
  const busyUs = totalUs - idleUs;
  const rank = (entries: Iterable<{ name: string; where: string; us: number }>): Ranked[] =>
    [...entries]
      .filter((e) => e.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, percent: (100 * e.us) / busyUs }));
  return {
    totalMs: totalUs / 1000,
    idlePercent: (100 * idleUs) / totalUs,
    self: rank(selfByFn.values()),
    inclusive: rank(inclByFn.values()),
    byArea: rank([...areaUs].map(([name, us]) => ({ name, where: '', us }))),
  };
}
