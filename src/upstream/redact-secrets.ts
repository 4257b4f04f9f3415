/**
 * Upstream error text ends up in client responses and logs. Some providers echo the key
 * ("Incorrect API key provided: sk-or-v1-…") and OpenRouter attaches account user ids: both go
 * through the one redaction rule (`src/redact.ts`).
 */
export { redact as redactSecrets } from '../redact.js';
