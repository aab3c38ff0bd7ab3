import type { FamilyType, MetricFamily, MetricSample, ParseResult } from './types.js';

/**
 * The Prometheus text exposition format (0.0.4, and the OpenMetrics text that servers send with
 * it: `# EOF`, `_created` samples): HELP and TYPE lines, label sets with escapes, NaN and ±Inf,
 * optional timestamps. Hand-written rather than the npm package parse-prometheus-text-format
 * (docs/server-metrics.md has the figures): as fast or faster on a vLLM page, numbers rather than
 * strings, prometheus_client's family names (which AIPerf's files use), and no new dependency.
 *
 * Samples are grouped into families as prometheus_client groups them (AIPerf parses with it): a
 * counter family is named without `_total`, histogram `_bucket`/`_sum`/`_count` and summary
 * quantile/`_sum`/`_count` lines join one sample per label set (less `le` / `quantile`), and a
 * sample whose family was not declared is its own `untyped` family.
 */

const TYPES = new Set<FamilyType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const MAX_BAD_LINES_KEPT = 5;

interface Building {
  family: MetricFamily;
  /** Label-set key -> the family's sample for it (histograms and summaries). */
  byLabels?: Map<string, MetricSample>;
}

/** A sample value as the format writes it: a float, NaN, +Inf, -Inf (Inf without a sign too). */
export function parseValue(s: string): number | undefined {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

function unescapeHelp(s: string): string {
  return s.indexOf('\\') < 0 ? s : s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/** Reads `{a="x",b="y"}` from `pos` (at the brace); returns the labels and the index after `}`. */
function readLabels(line: string, pos: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = pos + 1;
  const n = line.length;
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const start = i;
    if (i >= n || !isNameStart(line.charCodeAt(i))) return `bad label name at column ${i + 1}`;
    while (i < n && isNameChar(line.charCodeAt(i))) i++;
    const name = line.slice(start, i);
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] !== '=') return `expected = after label ${name}`;
    i++;
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] !== '"') return `expected " to open the value of label ${name}`;
    i++;
    let value = '';
    let chunk = i;
    for (;;) {
      if (i >= n) return `unterminated value of label ${name}`;
      const c = line[i];
      if (c === '"') break;
      if (c === '\\') {
        value += line.slice(chunk, i);
        const e = line[i + 1];
        value += e === 'n' ? '\n' : e === '"' ? '"' : e === '\\' ? '\\' : `\\${e ?? ''}`;
        i += 2;
        chunk = i;
        continue;
      }
      i++;
    }
    value += line.slice(chunk, i);
    i++;
    labels[name] = value;
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return `expected , or } after label ${name}`;
  }
}

function labelKey(labels: Record<string, string>, skip: string): string {
  const keys = Object.keys(labels).filter((k) => k !== skip);
  if (keys.length === 0) return '';
  keys.sort();
  return keys.map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
}

function without(labels: Record<string, string>, skip: string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(labels)) {
    if (k === skip) continue;
    out ??= {};
    out[k] = v;
  }
  return out;
}

const SUFFIXES: Record<FamilyType, readonly string[]> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  gauge: [],
  untyped: [],
};

/** Parses one scrape's body. Never throws: a line it cannot read is counted and skipped. */
export function parsePrometheusText(text: string): ParseResult {
  const out: MetricFamily[] = [];
  const badLines: ParseResult['badLines'] = [];
  let badLineCount = 0;
  const bad = (line: number, reason: string) => {
    badLineCount++;
    if (badLines.length < MAX_BAD_LINES_KEPT) badLines.push({ line, reason });
  };
  // Sample-name -> family, filled from TYPE lines (with each type's suffixes) and from untyped samples.
  const byName = new Map<string, Building>();
  const help = new Map<string, string>();
  const declare = (name: string, type: FamilyType): Building => {
    // A counter declared as x_total is the family x (prometheus_client's naming).
    const famName = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
    const existing = byName.get(famName);
    if (existing && existing.family.type === type) return existing;
    const b: Building = {
      family: { name: famName, type, help: help.get(name) ?? help.get(famName) ?? '', samples: [] },
      byLabels: type === 'histogram' || type === 'summary' ? new Map() : undefined,
    };
    out.push(b.family);
    byName.set(famName, b);
    if (type !== 'counter' || famName !== name) byName.set(name, b);
    for (const s of SUFFIXES[type]) byName.set(famName + s, b);
    return b;
  };

  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = len;
    lineNo++;
    let line = text.slice(pos, eol);
    pos = eol + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const c0 = line.charCodeAt(0);
    if (c0 === 35 /* # */) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // any other comment, # EOF included
      const [, kind, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (kind === 'HELP') {
        const doc = unescapeHelp(rest);
        help.set(name, doc);
        const b = byName.get(name);
        if (b && b.family.help === '') b.family.help = doc;
      } else {
        const t = rest.trim().toLowerCase();
        // OpenMetrics' "unknown" is the text format's "untyped"; gaugehistogram and info read as gauges.
        const type: FamilyType | undefined = TYPES.has(t as FamilyType)
          ? (t as FamilyType)
          : t === 'unknown'
            ? 'untyped'
            : t === 'info' || t === 'stateset' || t === 'gaugehistogram'
              ? 'gauge'
              : undefined;
        if (!type) bad(lineNo, `unknown type "${rest.trim()}"`);
        else declare(name, type);
      }
      continue;
    }
    let i = 0;
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) continue;
    const start = i;
    if (!isNameStart(line.charCodeAt(i))) {
      bad(lineNo, 'not a metric name');
      continue;
    }
    while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
    const name = line.slice(start, i);
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const r = readLabels(line, i);
      if (typeof r === 'string') {
        bad(lineNo, r);
        continue;
      }
      labels = r.labels;
      i = r.end;
    }
    const rest = line.slice(i).trim();
    const parts = rest.split(/[ \t]+/);
    const value = parseValue(parts[0] ?? '');
    if (value === undefined || parts.length > 3) {
      bad(lineNo, `bad value "${parts[0] ?? ''}"`);
      continue;
    }
    let timestampMs: number | undefined;
    if (parts.length >= 2) {
      const ts = Number(parts[1]);
      if (!Number.isFinite(ts)) {
        bad(lineNo, `bad timestamp "${parts[1]}"`);
        continue;
      }
      timestampMs = ts;
    }
    const b = byName.get(name) ?? declare(name, 'untyped');
    const fam = b.family;
    if (name.endsWith('_created') && fam.name !== name) continue; // creation times, not data
    if (fam.type === 'histogram' || fam.type === 'summary') {
      const inner = fam.type === 'histogram' ? 'le' : 'quantile';
      const key = labelKey(labels, inner);
      let s = b.byLabels!.get(key);
      if (!s) {
        s = {};
        const l = without(labels, inner);
        if (l) s.labels = l;
        b.byLabels!.set(key, s);
        fam.samples.push(s);
      }
      if (name === `${fam.name}_sum`) s.sum = value;
      else if (name === `${fam.name}_count`) s.count = value;
      else if (fam.type === 'histogram' && name === `${fam.name}_bucket`) {
        s.buckets ??= {};
        s.buckets[labels.le ?? '+Inf'] = value;
      } else if (fam.type === 'summary' && name === fam.name && labels.quantile !== undefined) {
        s.quantiles ??= {};
        s.quantiles[labels.quantile] = value;
      }
      if (timestampMs !== undefined) s.timestampMs = timestampMs;
      continue;
    }
    const sample: MetricSample = { value };
    if (Object.keys(labels).length > 0) sample.labels = labels;
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    fam.samples.push(sample);
  }
  return { families: out.filter((f) => f.samples.length > 0), badLines, badLineCount };
}
