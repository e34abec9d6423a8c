// Profanity filter: a chat-message filter that masks listed words.
//
// Shows a filter (filterChatMessage, permission "chat.filter") that answers
// filter.modify(...) with a changed copy of the message, or filter.pass()
// when there is nothing to change. Words match whole and ignoring case, so
// "Damn!" becomes "****!" while "hello" stays as it is (upstream's list:
// damn, hell, crap). Written in
// TypeScript: `owncast-plugin build` compiles src/plugin.ts with esbuild, and
// the types come from @owncast/plugin-sdk.

import { definePlugin, filter, type ChatMessage } from "@owncast/plugin-sdk";

/** Lowercase; a word of a message is masked when it equals one of these. */
const WORDS: ReadonlySet<string> = new Set(["damn", "hell", "crap"]);

/** Runs of letters and digits in any script (like Rust's char::is_alphanumeric). */
const WORD = /[\p{L}\p{N}]+/gu;

/** The body with every listed word replaced by asterisks, or null when nothing matched. */
export function mask(body: string): string | null {
  let changed = false;
  const out = body.replace(WORD, (word) => {
    if (!WORDS.has(word.toLowerCase())) return word;
    changed = true;
    return "*".repeat([...word].length);
  });
  return changed ? out : null;
}

export default definePlugin({
  filterChatMessage(msg: ChatMessage) {
    const masked = mask(msg.body);
    return masked === null ? filter.pass() : filter.modify({ ...msg, body: masked });
  },
});
