// Type-level tests of index.d.ts (checked by `tsc -p test/types`, run from test/sdk.test.js).
import {
  definePlugin,
  filter,
  owncast,
  type ChatMessage,
  type FilterResult,
  type HttpRequest,
  type StreamLifecycle,
  type User,
  type EventPayloads,
} from "@owncast/plugin-sdk";

const user: User = owncast.users.get("u1") ?? {
  id: "u1",
  displayName: "alice",
  previousNames: [],
  scopes: [],
  isBot: false,
  isAuthenticated: false,
};

export default definePlugin({
  onChatMessage(msg) {
    const m: ChatMessage = msg;
    owncast.chat.send(`${m.user?.displayName}: ${m.body} at ${m.timestamp}`);
    const n: number | null | undefined = m.clientId;
    void n;
  },
  filterChatMessage(msg): FilterResult {
    if (msg.body === "x") return filter.drop("no x");
    if (msg.body === "y") return filter.modify({ ...msg, body: "z" });
    return filter.pass();
  },
  onChatUserJoined(e) {
    owncast.chat.send(`welcome ${e.displayName}`);
  },
  onChatUserRenamed(e) {
    owncast.log.info(e.previousName, e.user.displayName);
  },
  onStreamStarted(s: StreamLifecycle) {
    owncast.chat.send(s.title ?? "");
  },
  onStreamTitleChanged(t) {
    const prev: string = t.from;
    void prev;
  },
  onFediverseFollow(f) {
    owncast.chat.send(`${f.actor.name} followed`);
  },
  onSseConnect(c) {
    owncast.sse.send(c.channel, "hello", { id: c.connectionId });
  },
  onHttpRequest(req: HttpRequest) {
    if (req.path === "json") return { status: 200, body: req.json() };
    if (req.authenticated && req.user) return `hi ${req.user.displayName}`;
    return { status: 404 };
  },
  on: {
    "announcement.broadcast"(payload: { text: string }) {
      owncast.events.emit("seen", payload);
    },
  },
  _helper: 1,
});

// Host data is typed by the contract.
const history: ChatMessage[] = owncast.chat.history(10);
const info = owncast.server.info();
const name: string = info.name ?? "";
const cfg = owncast.videoConfig.read();
const latency: number = cfg.latencyLevel;
owncast.videoConfig.write({ latencyLevel: 2 });
const ok: boolean = owncast.fs.write("a", "b").ok;
const url: string | undefined = owncast.fediverse.post("hi")?.url;
const res = owncast.http.fetch("https://example.com", { method: "POST", body: { a: 1 } });
const status: number = res.status;
const payloadOfJoin: EventPayloads["chat.user.joined"] = user;
void [history, name, latency, ok, url, status, payloadOfJoin];

// @ts-expect-error: handler payloads are typed
definePlugin({ onChatMessage(msg: { notABody: number }) {} });

// @ts-expect-error: unknown handler names are rejected
definePlugin({ onChatMesage() {} });

// @ts-expect-error: filters return filter results
definePlugin({ filterChatMessage: () => "pass" });
