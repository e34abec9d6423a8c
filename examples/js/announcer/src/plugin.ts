// Announcer: logs each `announcement.broadcast` custom event ("Announcement
// from <by>: <text>", like upstream's announcer) and posts it to chat as
// "📢 <text> (from <by>)".
//
// Shows subscribing to a custom event, another plugin's (the relay example
// emits it): custom event types are keys of `on: { ... }`, and the handler
// gets the emitted payload, already parsed. Sends with owncast.chat.send
// (permission "chat.send") as the bot "Announcer". Written in TypeScript.

import { definePlugin, owncast } from "@owncast/plugin-sdk";

export const ANNOUNCEMENT = "announcement.broadcast";

/** The payload `relay` emits. */
export interface Announcement {
  by?: string;
  text?: string;
}

/** The chat line for an announcement, or null when it has no text. */
export function announcement(payload: unknown): string | null {
  if (typeof payload === "string") {
    // Tolerate a payload that was JSON-encoded twice.
    try {
      payload = JSON.parse(payload);
    } catch {
      return null;
    }
  }
  if (!payload || typeof payload !== "object") return null;
  const { by, text } = payload as Announcement;
  const t = typeof text === "string" ? text.trim() : "";
  if (!t) return null;
  const b = typeof by === "string" ? by.trim() : "";
  return b ? `📢 ${t} (from ${b})` : `📢 ${t}`;
}

export default definePlugin({
  on: {
    [ANNOUNCEMENT](payload: Announcement) {
      const line = announcement(payload);
      if (line === null) {
        owncast.log.warn(`${ANNOUNCEMENT} without text: ${JSON.stringify(payload)}`);
        return;
      }
      // upstream's announcer logs each announcement; this one also posts it
      owncast.log.info(`Announcement from ${payload.by ?? "someone"}: ${payload.text}`);
      owncast.chat.send(line);
    },
  },
});
