/**
 * The OpenAI Responses API as a `Protocol`: translation both ways, OpenAI-shaped errors, and the
 * bounded in-memory store behind `store: true` (see `response-store.ts`).
 */
import type { ChatMessage } from '../../chat/chat-request-schema.js';
import { toWireError } from '../../errors.js';
import { resolveModelAlias } from '../model-alias.js';
import type { Protocol } from '../protocol.js';
import { completionToResponse, type IdMaker, type OutputItem } from './response-object.js';
import type { ResponseStore } from './response-store.js';
import { parseResponsesRequest, type ResponsesRequest } from './responses-request-schema.js';
import { ResponsesStreamTranslator } from './responses-stream.js';
import { responsesToChat } from './responses-to-chat.js';

interface ResponsesState {
  request: ResponsesRequest;
  messages: ChatMessage[];
  responseId: string;
  createdAt: number;
  newId: IdMaker;
  /** What went out, once the answer is whole. */
  output: () => readonly OutputItem[];
}

export function responsesProtocol(store: ResponseStore): Protocol<ResponsesState> {
  return {
    route: 'responses',
    translate(body, ctx) {
      const request = parseResponsesRequest(body);
      const chat = responsesToChat(request, resolveModelAlias(request.model, ctx.aliases), store);
      const state: ResponsesState = {
        request,
        messages: chat.messages,
        responseId: ctx.newId('resp'),
        createdAt: Math.floor(ctx.nowMs / 1000),
        newId: ctx.newId,
        output: () => [],
      };
      return { chat, state };
    },
    toJson(completion, state) {
      const response = completionToResponse(completion, state.request, state);
      state.output = () => response.output;
      return response;
    },
    stream(state) {
      const translator = new ResponsesStreamTranslator(state.request, {
        ...state,
        model: state.request.model,
      });
      state.output = () => translator.items;
      return translator;
    },
    finished(state) {
      if (state.request.store !== false) store.save(state.responseId, state.messages, state.output());
    },
    toWire: toWireError,
  };
}
