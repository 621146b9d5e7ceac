/**
 * The bench's result table: one row per figure of SPEC section 6, each beside the raw baseline
 * measured in the same run, their ratio, the target and whether it is met; printed as text and
 * written as JSON under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './child.js';
import type { Spread } from './stats.js';

/** A measured figure with its unit. */
export interface Figure {
  label: string;
  unit: string;
  value: Spread;
}

/** One row of the result table. */
export interface Row {
  scenario: string;
  figure: Figure;
  baseline?: Figure | undefined;
  target?: { text: string; met: boolean };
  note?: string;
}

/** The whole report, as written to JSON. */
export interface Report {
  mode: 'full' | 'quick';
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpu: string; memoryGb: number; node: string; load: number[] };
  baselines: Figure[];
  rows: Row[];
  notes: string[];
}

/** `≥ n` target on the median. */
export function atLeast(value: Spread, n: number, text: string): Row['target'] {
  return { text, met: value.median >= n };
}

/** `≤ n` target on the median. */
export function atMost(value: Spread, n: number, text: string): Row['target'] {
  return { text, met: value.median <= n };
}

function num(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** `median [min–max] unit`. */
export function showSpread(f: Figure): string {
  return `${num(f.value.median)} [${num(f.value.min)}–${num(f.value.max)}] ${f.unit}`;
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells.map((r) => r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join(' │ ')).join('\n');
}

/** The report as text: the baselines, then the result table, then the notes. */
export function formatReport(r: Report): string {
  const base = [['Raw baseline (same run)', 'median [min–max]'], ...r.baselines.map((b) => [b.label, showSpread(b)])];
  const rows = [
    ['Scenario', 'Figure', 'Pilote median [min–max]', 'Baseline median [min–max]', 'Ratio', 'Target', 'Met'],
    ...r.rows.map((row) => [
      row.scenario,
      row.figure.label,
      showSpread(row.figure),
      row.baseline ? `${row.baseline.label}: ${showSpread(row.baseline)}` : '—',
      row.baseline ? `${num(row.figure.value.median / row.baseline.value.median)}×` : '—',
      row.target?.text ?? '—',
      row.target ? (row.target.met ? 'yes' : 'NO') : '—',
    ]),
  ];
  const m = r.machine;
  return [
    `Pilote bench (${r.mode}) — ${r.startedAt}, ${r.seconds.toFixed(0)} s, ${m.cpus} × ${m.cpu}, node ${m.node}, load ${m.load.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    pad(base),
    '',
    pad(rows),
    '',
    ...r.notes.map((n) => `• ${n}`),
  ].join('\n');
}

/** Machine facts printed with the table (these machines are shared and noisy). */
export function machine(): Report['machine'] {
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim() ?? '?', memoryGb: Math.round(os.totalmem() / 1e9), node: process.version, load: os.loadavg() };
}

/** Writes the report to bench/results/<time>-<mode>.json; returns the path. */
export function writeReport(r: Report): string {
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.startedAt.replace(/[:.]/g, '-')}-${r.mode}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
