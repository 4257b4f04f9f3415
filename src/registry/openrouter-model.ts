/**
 * The part of OpenRouter's `GET /models` entry that the registry uses, validated loosely: unknown
 * fields pass through, and one malformed entry is reported and skipped instead of failing the list.
 */
import { z } from 'zod';

/** OpenRouter sends prices as strings; accept numbers too and keep strings. */
const price = z.union([z.string(), z.number()]).transform(String);

export const apiModelSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  description: z.string().nullish(),
  /** Tokens; the largest window among the model's providers. */
  context_length: z.number().nullish(),
  architecture: z
    .looseObject({
      input_modalities: z.array(z.string()).nullish(),
      output_modalities: z.array(z.string()).nullish(),
    })
    .nullish(),
  pricing: z.looseObject({ prompt: price.optional(), completion: price.optional() }).nullish(),
  top_provider: z
    .looseObject({ context_length: z.number().nullish(), max_completion_tokens: z.number().nullish() })
    .nullish(),
  supported_parameters: z.array(z.string()).nullish(),
});

export type ApiModel = z.infer<typeof apiModelSchema>;

export interface ParsedModelList {
  models: ApiModel[];
  /** Entries that did not match the expected shape, with why. */
  invalid: { index: number; id?: string; message: string }[];
}

/** Parses a `GET /models` body (`{"data": [...]}`). Throws if the envelope itself is wrong. */
export function parseModelList(body: unknown): ParsedModelList {
  const envelope = z.looseObject({ data: z.array(z.unknown()) }).safeParse(body);
  if (!envelope.success) throw new Error('model list has no `data` array');
  const models: ApiModel[] = [];
  const invalid: ParsedModelList['invalid'] = [];
  envelope.data.data.forEach((entry, index) => {
    const parsed = apiModelSchema.safeParse(entry);
    if (parsed.success) {
      models.push(parsed.data);
      return;
    }
    const id = typeof (entry as { id?: unknown })?.id === 'string' ? (entry as { id: string }).id : undefined;
    const issue = parsed.error.issues[0];
    invalid.push({ index, id, message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  });
  return { models, invalid };
}
