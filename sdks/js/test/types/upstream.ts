// Every type name upstream's SDK (owncast/plugin-sdk index.d.ts) exports,
// used as a plugin written for it would (checked by `tsc -p test/types`).
import {
  authCheck,
  defineCommands,
  definePlugin,
  escapeHtml,
  Events,
  filter,
  FilterAction,
  owncast,
  Permissions,
  type ActionButton,
  type BrowserPushPayload,
  type ChatClient,
  type ChatMessage,
  type ChatMessageModeration,
  type ChatUser,
  type ChatUserRename,
  type CommandContext,
  type CommandDefinition,
  type CommandEvent,
  type CommandsConfig,
  type ContentRequest,
  type Emote,
  type FederationInfo,
  type FediverseActor,
  type FediverseEngagement,
  type FediverseQuote,
  type FediverseTargetedEngagement,
  type GrantSessionRequest,
  type PluginCategory,
  type SQLExecResult,
  type SQLQueryResult,
  type SQLRow,
  type SQLValue,
  type UserRegisterRequest,
  type UserRegisterResult,
  type FediverseInboundPost,
  type FediversePayload,
  type FilterResult,
  type FsResult,
  type AuthCheckRequest,
  type AuthCheckResult,
  type HttpRequestOpts,
  type HttpResponse,
  type IncomingHttpRequest,
  type NetworkConfig,
  type OutgoingHttpResponse,
  type PluginDef,
  type ServerInfo,
  type SocialHandle,
  type SSEConnectionEvent,
  type StreamBroadcaster,
  type StreamInfo,
  type StreamLifecycleEvent,
  type StreamTitleChange,
  type StreamVariant,
  type TickEvent,
  type UploadResult,
  type User,
  type VideoConfig,
  type VideoConfigUpdate,
} from "@owncast/plugin-sdk";
import { runScenarios, type Scenario } from "@owncast/plugin-sdk/testing";

const action: FilterAction = FilterAction.Drop;
const perm: string = Permissions.StorageFS;
const ev: "chat.message.received" = Events.ChatMessageReceived;

const dice: CommandDefinition = {
  aliases: ["roll"],
  run(ctx: CommandContext) {
    ctx.reply(`${ctx.args.length}`);
  },
};
const routerConfig: CommandsConfig = { prefix: "!", commands: { dice } };
const route: (m: ChatMessage) => boolean = defineCommands(routerConfig);

const def: PluginDef = {
  filterPriority: 10,
  commands: { dice },
  onChatMessage(msg: ChatMessage) {
    route(msg);
    owncast.chat.system(escapeHtml(msg.body));
  },
  filterChatMessage(msg): FilterResult {
    return msg.body ? filter.pass() : { action };
  },
  onChatUserJoined(user) {
    const u: ChatUser = user;
    void u;
  },
  onChatUserRenamed(change: ChatUserRename) {
    void change;
  },
  onMessageModerated(m: ChatMessageModeration) {
    void m;
  },
  onStreamStarted(e: StreamLifecycleEvent) {
    void e;
  },
  onStreamTitleChanged(t: StreamTitleChange) {
    void t;
  },
  onSseConnect(c: SSEConnectionEvent) {
    void c;
  },
  onTick(t: TickEvent) {
    const n: number = t.now;
    void n;
  },
  onFediverseFollow(f: FediverseEngagement) {
    const a: FediverseActor = f.actor;
    void a;
  },
  onFediverseMention(p: FediverseInboundPost) {
    void p;
  },
  onHttpRequest(req: IncomingHttpRequest): OutgoingHttpResponse {
    return { status: 200, headers: { "content-type": "text/plain" }, body: req.path };
  },
  onFediverseQuote(q: FediverseQuote) {
    const t: FediverseTargetedEngagement = q;
    const local: string = t.target.url;
    void local;
  },
  onAuthCheck(req: AuthCheckRequest): AuthCheckResult {
    return req.user ? authCheck.refresh({ ttl: 3600 }) : { action: "deny" };
  },
  onTabContent(req: ContentRequest) {
    return `<p>${escapeHtml(req.slug)}</p>`;
  },
  onPageStyles() {
    return "";
  },
  on: { "custom.event"(payload: unknown) { void payload; } },
};
export default definePlugin(def);

const info: StreamInfo = owncast.stream.current();
const caster: StreamBroadcaster | Record<string, never> = owncast.stream.broadcaster();
const server: ServerInfo = owncast.server.info();
const socials: SocialHandle[] = owncast.server.socials();
const emotes: Emote[] = owncast.server.emotes();
const fed: FederationInfo = owncast.server.federation();
const users: User[] = owncast.users.list();
const clients: ChatClient[] = owncast.chat.clients();
const up: UploadResult | null = owncast.storage.upload("a.txt", new Uint8Array([1]));
const wrote: FsResult = owncast.fs.write("a.txt", "x");
const bytes: Uint8Array | null = owncast.fs.read("a.txt");
const text: string | null = owncast.fs.readText("a.txt");
const vc: VideoConfig = owncast.videoConfig.read();
const variants: StreamVariant[] = vc.variants;
const update: VideoConfigUpdate = { latencyLevel: 2 };
owncast.videoConfig.write(update);
const push: BrowserPushPayload = { title: "live", url: "https://example.com" };
owncast.notifications.browserPush(push);
owncast.notifications.browserPush("live");
const fedNote: FediversePayload = { type: "follow", body: "hi", link: "https://example.com" };
owncast.notifications.fediverse(fedNote);
const opts: HttpRequestOpts = { headers: { accept: "application/json" } };
const res: HttpResponse = owncast.http.fetch("https://example.com", opts);
const button: ActionButton = { title: "Go", url: "/" };
owncast.actions.add(button);
owncast.actions.clear();
owncast.users.banIP("10.0.0.1");
owncast.chat.kick(3);
const net: NetworkConfig = { allowedHosts: ["api.example.com"] };
const timer: number = owncast.timer.setInterval(() => owncast.kv.setJSON("n", 1), 1000);
owncast.timer.clear(timer);
const row = owncast.sql.queryRow<{ n: number }>("select 1 as n");
const verdict = authCheck.deny("no");
const params: SQLValue[] = ["alice", 3, true, null];
const ran: SQLExecResult = owncast.sql.exec("insert into t values (?, ?, ?, ?)", params);
const inserted: number = ran.lastInsertId + ran.rowsAffected;
const rows: SQLRow[] = owncast.sql.query("select * from t");
const raw: SQLQueryResult = { columns: ["n"], rows: [[1]], truncated: false };
const reg: UserRegisterRequest = { authId: "gh:42", displayName: null, profileUrl: "https://github.com/a", handle: "a", public: true };
const who: UserRegisterResult = owncast.users.register(reg);
const grant: GrantSessionRequest = { userId: who.userId, ttl: 600 };
owncast.auth.grantSession(grant);
owncast.auth.endSession();
const greeting: string | null = owncast.assets.readText("welcome.txt");
const limit: number = owncast.config.get<number>("limit", 10);
const once: number = owncast.timer.setTimeout(() => owncast.log.warning("late"), 500);
owncast.log.info("up");
owncast.log.error("down");
const category: PluginCategory = "authentication";
const cmd: CommandEvent = { message: { id: "1", body: "!x", timestamp: "" } as ChatMessage, command: "x", invokedAs: "x", args: [], argString: "" };
const scenario: Scenario = { name: "x", events: [], expect: { chatSends: [] } };
const gate: Scenario = {
  name: "gate",
  given: { config: { password: "s3cret" }, kv: { revoked: "" }, httpResponses: [{ url: "https://api.example.com/*", body: { ok: true } }] },
  events: [
    { http: { method: "POST", path: "/login", body: "password=s3cret", expect: { status: 302, headers: { location: "/" } } } },
    { authCheck: { user: { id: "u-shared", displayName: "Guest" } as User, expect: { action: "ok" } } },
    { advanceTimers: 1500 },
    { event: "timer.fire", payload: { id: 1 } },
    { filter: "chat.message.received", payload: {}, expect: { action: "drop", reason: "/slow/" } },
    { tabContent: { slug: "now", user: { id: "u", displayName: "U" } as ChatUser, expect: { bodyContains: "now" } } },
    { pageContent: { slug: "banner", expect: { body: "<p>x</p>" } } },
    { pageStyles: {} },
    { pageScripts: { expect: { bodyContains: "window" } } },
  ],
  expect: {
    userRegistrations: [{ authId: "shared" }],
    sessionGrants: [{ userId: "u-shared", ttl: 60 }],
    sessionClears: 1,
    commands: [{ name: "np", prefix: "!", aliases: [], modOnly: true, cooldownMs: 0 }],
  },
};
// @ts-expect-error: the runner refuses unknown keys
const typo: Scenario = { name: "t", expect: { chatSend: [] } };
void [gate, typo];
const passed: boolean = runScenarios([scenario]);
void [inserted, rows, raw, greeting, limit, once, category, cmd];
void [ev, perm, info, caster, server, socials, emotes, fed, users, clients, up, wrote, bytes, text, variants, res, net, row, verdict, passed];

// @ts-expect-error: fs.read returns bytes, not a string
const notText: string = owncast.fs.read("a.txt");
// @ts-expect-error: videoConfig.write returns nothing (it throws on failure)
const notResult: FsResult = owncast.videoConfig.write(update);
// @ts-expect-error: users.register needs an authId
owncast.users.register({ displayName: "x" });
// @ts-expect-error: a SQL parameter is a scalar
owncast.sql.exec("select ?", [{ a: 1 }]);
void [notText, notResult];
