/**
 * `GET /v1/models` for Anthropic clients (they send `anthropic-version`): the same entries with
 * the fields Anthropic's model objects have (`type`, `display_name`, `created_at`) and the list's
 * paging fields, added to — never replacing — the OpenAI fields.
 */
type Entry = { id: string; created?: number } & Record<string, unknown>;

export function anthropicModel(entry: Entry): Entry {
  const created = typeof entry.created === 'number' ? entry.created : 0;
  return {
    ...entry,
    type: 'model',
    display_name: entry.id,
    created_at: new Date(created * 1000).toISOString(),
  };
}

export function anthropicModelList(entries: readonly Entry[]): Record<string, unknown> {
  const data = entries.map(anthropicModel);
  return {
    object: 'list',
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}
