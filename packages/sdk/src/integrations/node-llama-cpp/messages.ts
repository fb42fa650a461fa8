import type { ChatHistoryItem } from 'node-llama-cpp';
import type { ChatMessage } from '../../index.js';

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  let text = '';
  for (const part of message.content) {
    if (part.type === 'text' && typeof part.content === 'string') text += part.content;
    else if (part.type !== 'reasoning') {
      // Reasoning of earlier turns is dropped, as chat templates do; anything else has no rendering here.
      throw new TypeError(`message part of type "${part.type}" is not supported by the node-llama-cpp integration`);
    }
  }
  return text;
}

/** The SDK's messages as node-llama-cpp chat history (system, user, assistant only). */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  return messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case 'system':
        return { type: 'system', text: textOf(message) };
      case 'user':
        return { type: 'user', text: textOf(message) };
      case 'assistant':
        return { type: 'model', response: [textOf(message)] };
      default:
        throw new TypeError(`message role "${message.role}" is not supported by the node-llama-cpp integration`);
    }
  });
}
