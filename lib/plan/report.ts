/**
 * Renders a {@link CapacityPlan}: a table for people, JSON for tools, and a self-contained SVG chart of node
 * utilization. Every renderer is deterministic (no dates, fixed number formatting, input order).
 */
import { CapacityPlan, formatMemoryAmount, formatCpuAmount, PoolPlan } from './plan';

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

function money(x: number | null, currency: string | null): string {
  if (x === null) return '-';
  const [int, frac] = x.toFixed(2).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency === 'USD' || currency === null ? '$' : `${currency} `}${grouped}.${frac}`;
}

function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  rightAligned: ReadonlySet<number>,
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function bindingLabel(b: string): string {
  return b === 'shm' ? '/dev/shm' : b;
}

/** The plan as a plain-text report. */
export function renderPlanTable(plan: CapacityPlan): string {
  const out: string[] = [];
  out.push(
    `Capacity plan: ${plan.placedPods} of ${plan.totalPods} pods placed on ${plan.pools.reduce((s, p) => s + p.nodes, 0)} nodes` +
      ` in ${plan.zones} zone${plan.zones === 1 ? '' : 's'}; ${money(plan.monthlyCost, plan.currency)} per month (730 h, on-demand)`,
  );
  out.push('');
  out.push(
    ...table(
      [
        'POOL',
        'HOST',
        'SERVES',
        'NODES',
        'LOWER BOUND',
        'CPU',
        'MEMORY',
        '/DEV/SHM',
        'PODS',
        'BINDING',
        'PER MONTH',
      ],
      plan.pools.map((p) => [
        p.name,
        p.host.name,
        p.serves,
        String(p.nodes),
        String(p.lowerBound),
        pct(p.cpuUtilization),
        pct(p.memoryUtilization),
        pct(p.shmUtilization),
        pct(p.podsUtilization),
        bindingLabel(p.bindingResource),
        money(p.monthlyCost, p.host.price?.currency ?? null),
      ]),
      new Set([3, 4, 5, 6, 7, 8, 10]),
    ),
  );
  for (const p of plan.pools) {
    const n = p.node;
    out.push('');
    out.push(
      `${p.name}: ${p.host.name} (${p.host.provider.displayName}, ${p.host.virtualization.name}) x ${p.nodes}`,
    );
    out.push(
      `  node: ${formatCpuAmount(n.capacityCpuMillis)} CPU / ${formatMemoryAmount(n.capacityMemoryBytes)}; reserved ${formatCpuAmount(n.reserved.cpuMillis)} CPU / ` +
        `${formatMemoryAmount(n.reserved.memoryBytes + n.reserved.evictionBytes)} (${n.reservation}, maxPods ${n.maxPods}); allocatable ` +
        `${formatCpuAmount(n.allocatableCpuMillis)} CPU / ${formatMemoryAmount(n.allocatableMemoryBytes)}; /dev/shm ${n.shmBytes === null ? 'unlimited' : formatMemoryAmount(n.shmBytes)} (${n.shm})`,
    );
    if (p.daemonSets.length > 0) {
      out.push(
        `  daemonsets on every node: ${formatCpuAmount(n.daemonSetCpuMillis)} CPU / ${formatMemoryAmount(n.daemonSetMemoryBytes)} (${p.daemonSets.join(', ')})`,
      );
    }
    const lb = p.lowerBounds;
    out.push(
      `  lower bound ${p.lowerBound}: cpu ${lb.cpu}, memory ${lb.memory}, /dev/shm ${lb.shm}, pods ${lb.pods}, ` +
        `anti-affinity ${lb.antiAffinity}, pods over half a node ${lb.largePods}; packing: ${p.strategy}`,
    );
    if (p.host.price) {
      out.push(
        `  price: ${p.host.price.currency === 'USD' ? '$' : `${p.host.price.currency} `}${Number(p.host.price.perHour.toFixed(6))}/h on-demand ${p.host.price.region} (${p.host.price.date}); source: ${p.host.price.source}`,
      );
    } else {
      out.push('  price: unknown (add one with a hosts file)');
    }
    for (const w of p.workloads) out.push(`  ${String(w.pods).padStart(5)}  ${w.id}`);
  }
  out.push('');
  if (plan.unschedulable.length === 0) {
    out.push('Unschedulable: none');
  } else {
    const pods = plan.unschedulable.reduce((s, u) => s + u.pods, 0);
    out.push(`Unschedulable: ${pods} pod${pods === 1 ? '' : 's'}`);
    for (const u of plan.unschedulable) {
      out.push(`  ${u.workload} (${u.pods} pod${u.pods === 1 ? '' : 's'}, ${u.code}): ${u.reason}`);
    }
  }
  if (plan.notes.length > 0) {
    out.push('');
    out.push('Notes:');
    for (const n of plan.notes) out.push(`  - ${n}`);
  }
  return out.join('\n') + '\n';
}

/** One pool in the JSON form. */
function poolJson(p: PoolPlan): Record<string, unknown> {
  return {
    host: p.host.name,
    nodes: p.nodes,
    lowerBound: p.lowerBound,
    cpuUtilization: p.cpuUtilization,
    memoryUtilization: p.memoryUtilization,
    bindingResource: p.bindingResource,
    monthlyCost: p.monthlyCost,
    name: p.name,
    serves: p.serves,
    provider: p.host.provider.name,
    virtualization: p.host.virtualization.name,
    shmUtilization: p.shmUtilization,
    podsUtilization: p.podsUtilization,
    lowerBounds: p.lowerBounds,
    hourlyCost: p.hourlyCost,
    price: p.host.price ?? null,
    node: {
      vcpus: p.host.vcpus,
      memoryBytes: p.node.capacityMemoryBytes,
      reservation: p.node.reservation,
      reservedCpuMillis: p.node.reserved.cpuMillis,
      reservedMemoryBytes: p.node.reserved.memoryBytes,
      evictionMemoryBytes: p.node.reserved.evictionBytes,
      allocatableCpuMillis: p.node.allocatableCpuMillis,
      allocatableMemoryBytes: p.node.allocatableMemoryBytes,
      maxPods: p.node.maxPods,
      shmBytes: p.node.shmBytes,
      daemonSetCpuMillis: p.node.daemonSetCpuMillis,
      daemonSetMemoryBytes: p.node.daemonSetMemoryBytes,
    },
    daemonSets: p.daemonSets,
    workloads: p.workloads,
    strategy: p.strategy,
  };
}

/**
 * The plan as JSON-ready data: `{ pools: [{ host, nodes, lowerBound, cpuUtilization, memoryUtilization,
 * bindingResource, monthlyCost, ... }], unschedulable: [...], ... }`.
 */
export function planToJson(plan: CapacityPlan): Record<string, unknown> {
  return {
    pools: plan.pools.map(poolJson),
    unschedulable: plan.unschedulable.map((u) => ({ ...u })),
    zones: plan.zones,
    totalPods: plan.totalPods,
    placedPods: plan.placedPods,
    monthlyCost: plan.monthlyCost,
    currency: plan.currency,
    notes: plan.notes,
  };
}

/** The plan as a JSON document (2-space indent, trailing newline). */
export function renderPlanJson(plan: CapacityPlan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = {
  cpu: '#2f6db5',
  memory: '#e08a1e',
  shm: '#7b4fa6',
  grid: '#d0d0d0',
  text: '#222222',
  warn: '#b3261e',
};

/**
 * The plan as a self-contained SVG: one panel per pool with a column per node showing CPU, memory and
 * `/dev/shm` use against the node's allocatable (100% line), plus the lower bound, binding resource and cost.
 */
export function renderPlanSvg(plan: CapacityPlan): string {
  const pools = plan.pools;
  const left = 56;
  const maxNodes = Math.max(1, ...pools.map((p) => p.nodes));
  const group = Math.max(3, Math.min(30, Math.floor(880 / maxNodes)));
  const width = Math.max(960, left + 24 + maxNodes * group);
  const barArea = 140;
  const panelHeight = barArea + 78;
  const header = 58;
  const footer = plan.unschedulable.length > 0 ? 22 + 16 * Math.min(plan.unschedulable.length, 12) : 22;
  const height = header + pools.length * panelHeight + footer;
  const f = (x: number): string => String(Math.round(x * 10) / 10);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${left}" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${esc(
      `Kata capacity plan: ${plan.placedPods}/${plan.totalPods} pods, ${pools.reduce((s, p) => s + p.nodes, 0)} nodes, ${money(plan.monthlyCost, plan.currency)}/month`,
    )}</text>`,
  );
  const legend: Array<[string, string]> = [
    ['CPU requested', COLORS.cpu],
    ['memory requested', COLORS.memory],
    ['/dev/shm (QEMU guest memory)', COLORS.shm],
  ];
  legend.forEach(([label, color], i) => {
    const x = left + i * 210;
    parts.push(`<rect x="${x}" y="34" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${x + 18}" y="44" fill="${COLORS.text}">${esc(label)}</text>`);
  });
  pools.forEach((p, pi) => {
    const top = header + pi * panelHeight;
    const base = top + 30 + barArea;
    parts.push(
      `<text x="${left}" y="${top + 18}" font-weight="bold" fill="${COLORS.text}">${esc(
        `${p.name} (${p.host.name}, serves ${p.serves}): ${p.nodes} nodes, lower bound ${p.lowerBound}, ` +
          `binding ${bindingLabel(p.bindingResource)}, ${money(p.monthlyCost, p.host.price?.currency ?? null)}/month`,
      )}</text>`,
    );
    for (const level of [0, 0.5, 1]) {
      const y = base - level * barArea;
      parts.push(
        `<line x1="${left}" y1="${f(y)}" x2="${width - 16}" y2="${f(y)}" stroke="${COLORS.grid}" stroke-width="1"${level === 1 ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
      parts.push(
        `<text x="${left - 6}" y="${f(y + 4)}" text-anchor="end" fill="${COLORS.text}">${level * 100}%</text>`,
      );
    }
    const n = p.node;
    const showShm = n.shmBytes !== null;
    const bars = showShm ? 3 : 2;
    const barWidth = Math.max(1, (group - (group >= 6 ? 2 : 0)) / bars);
    p.nodeUsage.forEach((u, i) => {
      const x0 = left + 4 + i * group;
      const values: Array<[number, string, string]> = [
        [
          n.allocatableCpuMillis > 0 ? u.cpuMillis / n.allocatableCpuMillis : 0,
          COLORS.cpu,
          `CPU ${formatCpuAmount(u.cpuMillis)}`,
        ],
        [
          n.allocatableMemoryBytes > 0 ? u.memoryBytes / n.allocatableMemoryBytes : 0,
          COLORS.memory,
          `memory ${formatMemoryAmount(u.memoryBytes)}`,
        ],
      ];
      if (showShm)
        values.push([
          n.shmBytes! > 0 ? u.shmBytes / n.shmBytes! : 0,
          COLORS.shm,
          `/dev/shm ${formatMemoryAmount(u.shmBytes)}`,
        ]);
      values.forEach(([share, color, label], b) => {
        const h = Math.min(1, share) * barArea;
        parts.push(
          `<rect x="${f(x0 + b * barWidth)}" y="${f(base - h)}" width="${f(barWidth)}" height="${f(h)}" fill="${color}">` +
            `<title>${esc(`node ${i + 1} (zone ${u.zone + 1}, ${u.pods} pods): ${label} (${(share * 100).toFixed(1)}%)`)}</title></rect>`,
        );
      });
    });
    const labelEvery = Math.max(1, Math.ceil(28 / group));
    p.nodeUsage.forEach((_, i) => {
      if (i % labelEvery !== 0) return;
      parts.push(
        `<text x="${f(left + 4 + i * group + group / 2)}" y="${base + 14}" text-anchor="middle" font-size="10" fill="${COLORS.text}">${i + 1}</text>`,
      );
    });
    parts.push(
      `<text x="${left}" y="${base + 32}" fill="${COLORS.text}">${esc(
        `utilization: CPU ${pct(p.cpuUtilization)}, memory ${pct(p.memoryUtilization)}, /dev/shm ${pct(p.shmUtilization)}, pods ${pct(p.podsUtilization)} ` +
          `of allocatable ${formatCpuAmount(n.allocatableCpuMillis)} CPU / ${formatMemoryAmount(n.allocatableMemoryBytes)} per node`,
      )}</text>`,
    );
  });
  const fy = header + pools.length * panelHeight + 14;
  if (plan.unschedulable.length === 0) {
    parts.push(`<text x="${left}" y="${fy}" fill="${COLORS.text}">Unschedulable: none</text>`);
  } else {
    parts.push(
      `<text x="${left}" y="${fy}" font-weight="bold" fill="${COLORS.warn}">${esc(
        `Unschedulable: ${plan.unschedulable.reduce((s, u) => s + u.pods, 0)} pods`,
      )}</text>`,
    );
    plan.unschedulable.slice(0, 12).forEach((u, i) => {
      const text = `${u.workload} (${u.pods}, ${u.code}): ${u.reason}`;
      parts.push(
        `<text x="${left + 8}" y="${fy + 16 * (i + 1)}" font-size="11" fill="${COLORS.warn}">${esc(text.length > 150 ? `${text.slice(0, 147)}...` : text)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
