/**
 * `rotor discover` for pooled providers: each joined provider's live model list (in its own shape),
 * its models marked free by the catalog's rule, which of them are in the provider's rotation, and
 * the rotation models the list no longer names (the gateway's reconciler retires those). A
 * provider that does not answer is a report with `ok: false`, never an exception.
 */
import type { JoinedProvider } from '../providers/discover-providers.js';
import { pairId } from '../router/pair-id.js';
import { FetchModelsError } from './fetch-models.js';
import { fetchProviderModels } from './fetch-provider-models.js';
import { type Colour, type Column, formatTable, paint } from './format-table.js';

export interface ProviderModelRow {
  /** The provider's own id. */
  id: string;
  /** The rotor id of the (provider, model) pair: `groq:llama-3.1-8b-instant`. */
  pair: string;
  free: boolean;
  contextLength: number | null;
  /** What it does when the list says it is not a chat model (`Text Embeddings`). */
  task: string | null;
  /** 1-based place in the provider's rotation, or null. */
  rotation: number | null;
}

export interface ProviderModelsReport {
  id: string;
  name: string;
  /** The list's URL; null when the provider has none (`models.path` unset, or a moved base URL it cannot follow). */
  url: string | null;
  ok: boolean;
  error?: string;
  /** Models listed, and how many of them are free. */
  listed: number;
  free: number;
  /** The provider's rotation (its own ids): the catalog's `rotation`, or the config's. */
  rotation: string[];
  /** Listed models, the rotation's first in its order, then the rest by id. */
  models: ProviderModelRow[];
  /** Rotation models the list does not name (the gateway retires them). */
  missing: string[];
}

export async function providerModelsReport(
  joined: JoinedProvider,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ProviderModelsReport> {
  const rotation = [...joined.provider.rotation];
  const base = { id: joined.id, name: joined.provider.name, url: joined.modelsUrl ?? null, rotation };
  if (joined.modelsUrl === undefined) {
    return {
      ...base,
      ok: false,
      error: joined.provider.models.path
        ? `no model list: ${joined.baseUrl} is not where the catalog's list (${joined.provider.models.path}) can be found`
        : 'the provider has no model list',
      listed: 0,
      free: 0,
      models: [],
      missing: [],
    };
  }
  try {
    const list = await fetchProviderModels(joined, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const place = new Map(rotation.map((id, i) => [id, i + 1]));
    const models = list.models
      .map(
        (m): ProviderModelRow => ({
          id: m.id,
          pair: pairId(joined.id, m.id),
          free: m.free,
          contextLength: m.contextLength ?? null,
          task: m.task ?? null,
          rotation: place.get(m.id) ?? null,
        }),
      )
      .sort(
        (a, b) =>
          (a.rotation ?? Number.MAX_SAFE_INTEGER) - (b.rotation ?? Number.MAX_SAFE_INTEGER) ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    const listed = new Set(models.map((m) => m.id));
    return {
      ...base,
      ok: true,
      listed: models.length,
      free: models.filter((m) => m.free).length,
      models,
      missing: rotation.filter((id) => !listed.has(id)),
    };
  } catch (err) {
    if (!(err instanceof FetchModelsError)) throw err;
    return { ...base, ok: false, error: err.message, listed: 0, free: 0, models: [], missing: [] };
  }
}

interface Row {
  free: string;
  model: string;
  context: string;
  rotation: string;
  note: string;
  colour?: Colour;
}

/** The text of one provider's report: a header line, then a table of its models. */
export function formatProviderReport(report: ProviderModelsReport, colour: boolean): string[] {
  const title = `${paint(report.id, 'bold', colour)} — ${report.name}`;
  if (!report.ok) {
    return [`${title}: ${paint(`failed: ${report.error ?? 'unknown error'}`, 'red', colour)}`];
  }
  const inRotation = report.rotation.length - report.missing.length;
  const lines = [
    `${title} · ${report.url}: ${report.listed} models, ${report.free} free; ` +
      `${inRotation} of ${report.rotation.length} rotation models listed`,
  ];
  const rows: Row[] = [
    ...report.models.map(
      (m): Row => ({
        free: m.free ? 'free' : 'paid',
        model: m.pair,
        context: m.contextLength === null ? '—' : formatTokens(m.contextLength),
        rotation: m.rotation === null ? '—' : `#${m.rotation}`,
        note: m.task ?? '',
        ...(m.free ? {} : { colour: 'dim' as const }),
      }),
    ),
    ...report.missing.map(
      (id): Row => ({
        free: '',
        model: `${report.id}:${id}`,
        context: '—',
        rotation: `#${report.rotation.indexOf(id) + 1}`,
        note: 'not listed: the gateway retires it',
        colour: 'red',
      }),
    ),
  ];
  if (rows.length > 0) lines.push(formatTable(columns(), rows, { colour }));
  return lines;
}

function columns(): Column<Row>[] {
  return [
    { header: 'FREE', value: (r) => r.free, colour: (r) => (r.free === 'free' ? 'green' : r.colour) },
    { header: 'MODEL', value: (r) => r.model, colour: (r) => r.colour },
    { header: 'CONTEXT', value: (r) => r.context, align: 'right' },
    { header: 'ROTATION', value: (r) => r.rotation },
    { header: 'NOTE', value: (r) => r.note, colour: (r) => r.colour },
  ];
}

function formatTokens(tokens: number): string {
  if (tokens >= 1_000_000 && tokens % 1_000_000 === 0) return `${tokens / 1_000_000}M`;
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}k` : String(tokens);
}
