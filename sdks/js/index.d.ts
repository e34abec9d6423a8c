// Type declarations for @owncast/plugin-sdk.
//
// The payload and host-data shapes are generated from the WIT contract into
// types/contract.d.ts by `owncast-plugin contract --ts
// sdks/js/types/contract.d.ts`; this file adds the SDK's own API on top of
// them and gives every shape the name upstream's SDK (owncast/plugin-sdk)
// exports, so TypeScript plugins written for it compile unchanged.

import type {
  ActionButton as WireActionButton,
  Broadcaster,
  FediverseEngagement,
  ChatClient,
  ChatUser,
  ChatMessage,
  EventPayloads,
  FederationInfo,
  HttpRequest as WireHttpRequest,
  OpResult,
  ServerInfo,
  SocialHandle,
  StreamInfo,
  UrlResult,
  User,
  VideoConfig,
  VideoConfigUpdate,
} from "./types/contract";

// Every generated shape, under its WIT record name.
export * from "./types/contract";

// ---------------------------------------------------------------------------
// Upstream's type names for the contract's shapes

// `ChatUser` (the sender of a message, the payload of join/part) and
// `StreamVariant` come from the contract under upstream's names.
/** `chat.user.renamed`. */
export type ChatUserRename = EventPayloads["chat.user.renamed"];
/** `chat.message.moderated`. */
export type ChatMessageModeration = EventPayloads["chat.message.moderated"];
/** `stream.started` and `stream.stopped`. */
export type StreamLifecycleEvent = EventPayloads["stream.started"];
/** What owncast.stream.broadcaster() returns (`{}` when nothing streams). */
export type StreamBroadcaster = Broadcaster;
/** `fediverse.mention` and `fediverse.reply`: a post with content. */
export type FediverseInboundPost = EventPayloads["fediverse.mention"];
/** `sse.connect` and `sse.disconnect`. */
export type SSEConnectionEvent = EventPayloads["sse.connect"];
/** owncast.notifications.browserPush(payload). */
export interface BrowserPushPayload {
  title: string;
  body?: string;
  url?: string;
}
/** Result of owncast.storage.upload(). */
export type UploadResult = UrlResult;
/** Result of owncast.fs.write() and .delete(). */
export type FsResult = OpResult;

/**
 * An action button (manifest `actions`, owncast.actions.add): exactly one of
 * `url` (relative URLs point into the plugin) or `html`.
 */
export interface ActionButton extends Partial<Omit<WireActionButton, "title">> {
  title: string;
  url?: string;
  html?: string;
  icon?: string;
  color?: string;
  description?: string;
  openExternally?: boolean;
}

/** owncast.notifications.fediverse(payload). */
export interface FediversePayload {
  type: "follow" | "like" | "repost" | string;
  body: string;
  image?: string;
  link?: string;
}

/** `tick` (onTick): the host's wall-clock time in unix milliseconds. */
export interface TickEvent {
  now: number;
}

/** A custom chat emote from owncast.server.emotes(). */
export interface Emote {
  name: string;
  url: string;
}

/** `manifest.network`: where owncast.http.fetch may go (network.fetch). */
export interface NetworkConfig {
  /** Host names; `*.example.com` matches subdomains, `*` any host. */
  allowedHosts: string[];
}

/** What onHttpRequest receives: the wire request plus `json()`. */
export interface IncomingHttpRequest extends WireHttpRequest {
  /** JSON.parse(body) */
  json(): any;
}
/** @deprecated use IncomingHttpRequest */
export type HttpRequest = IncomingHttpRequest;

/** What onHttpRequest may return as an object (missing status: 200). */
export interface OutgoingHttpResponse {
  status?: number;
  headers?: Record<string, string | number>;
  /** Strings pass as is; other values are sent as JSON (content-type application/json). */
  body?: unknown;
}

/** What onTabContent and onPageContent receive. */
export interface ContentRequest {
  /** The tab's or page-content slot's slug from the manifest. */
  slug: string;
  /** The viewer's chat identity, when known. */
  user?: ChatUser;
}

/** What onAuthCheck receives when the host re-validates a gate session. */
export interface AuthCheckRequest {
  userId?: string;
  user?: ChatUser;
  [key: string]: unknown;
}

export type AuthCheckResult =
  | { action: "ok" }
  | { action: "refresh"; ttl?: number }
  | { action: "deny"; reason?: string };

/** owncast.users.register(request): an identity from the plugin's own provider. */
export interface UserRegisterRequest {
  /** The identity's stable id at the provider; the host scopes it to this plugin. */
  authId: string;
  /** Display name of a new user (null or left out: the host picks one). */
  displayName?: string | null;
  /** Scopes for the user, e.g. ["MODERATOR"]; administrative scopes are refused. */
  scopes?: string[];
  /** The verified profile's absolute http(s) URL. */
  profileUrl?: string;
  /** Label of the verified identity (a login, a fediverse handle). */
  handle?: string;
  /** Show the verified identity publicly (the viewer opted in). */
  public?: boolean;
}

/** What owncast.users.register returns. */
export interface UserRegisterResult {
  userId: string;
}

/** owncast.auth.grantSession(request). */
export interface GrantSessionRequest {
  /** A user id from owncast.users.register. */
  userId: string;
  /** Session lifetime in seconds (0 or left out: the host's default). */
  ttl?: number;
}

/** A statement parameter or a column value of owncast.sql (blobs come back as base64 text). */
export type SQLValue = null | boolean | number | string;
/** One row of owncast.sql.query: column name to value. */
export type SQLRow = Record<string, SQLValue>;
/** What owncast.sql.exec returns (a failure throws). */
export interface SQLExecResult {
  error?: string;
  rowsAffected: number;
  lastInsertId: number;
}
/** The host's answer to a query before the SDK keys rows by column name. */
export interface SQLQueryResult {
  error?: string;
  columns: string[];
  rows: SQLValue[][];
  /** More rows matched than the call's row limit. */
  truncated?: boolean;
}

/** A like, repost or quote: engagement with one of the streamer's posts. */
export interface FediverseTargetedEngagement extends FediverseEngagement {
  target: { url: string };
}

/** `fediverse.quote`: a remote post quoting one of the streamer's posts (`target`). */
export interface FediverseQuote extends FediverseTargetedEngagement {
  /** The quoting post. */
  url: string;
  content?: string;
  contentText?: string;
  postedAt?: string;
  inReplyTo?: string;
  attachments?: { url: string; mediaType: string; alt?: string }[];
  language?: string;
}

/** The internal `chat.command` payload the host sends for a matched command. */
export interface CommandEvent {
  message: ChatMessage;
  command: string;
  invokedAs: string;
  args: string[];
  argString: string;
}

/** `manifest.category`: where the plugin registry lists the plugin. */
export type PluginCategory =
  | "chat-bots"
  | "chat-filters"
  | "moderation"
  | "authentication"
  | "themes"
  | "overlays"
  | "notifications"
  | "integrations"
  | "video"
  | "analytics"
  | "games"
  | "admin-utilities"
  | "examples"
  | "other";

// ---------------------------------------------------------------------------
// Constants

export const FilterAction: {
  readonly Pass: "pass";
  readonly Modify: "modify";
  readonly Drop: "drop";
};
export type FilterAction = (typeof FilterAction)[keyof typeof FilterAction];

/** filter.pass(), filter.modify(payload) or filter.drop(reason). */
export type FilterResult =
  | { action: "pass" }
  | { action: "modify"; payload: any }
  | { action: "drop"; reason?: string };

export const Events: {
  readonly ChatMessageReceived: "chat.message.received";
  readonly ChatUserJoined: "chat.user.joined";
  readonly ChatUserParted: "chat.user.parted";
  readonly ChatUserRenamed: "chat.user.renamed";
  readonly ChatMessageModerated: "chat.message.moderated";
  readonly StreamStarted: "stream.started";
  readonly StreamStopped: "stream.stopped";
  readonly StreamTitleChanged: "stream.title.changed";
  readonly SseConnect: "sse.connect";
  readonly SseDisconnect: "sse.disconnect";
  readonly Tick: "tick";
  readonly FediverseActivity: "fediverse.activity";
  readonly FediverseFollow: "fediverse.follow";
  readonly FediverseLike: "fediverse.like";
  readonly FediverseRepost: "fediverse.repost";
  readonly FediverseQuote: "fediverse.quote";
  readonly FediverseMention: "fediverse.mention";
  readonly FediverseReply: "fediverse.reply";
};

export const Permissions: {
  readonly ChatSend: "chat.send";
  readonly ChatHistory: "chat.history";
  readonly ChatModerate: "chat.moderate";
  readonly ChatFilter: "chat.filter";
  readonly StorageKV: "storage.kv";
  readonly StorageUpload: "storage.upload";
  readonly StorageFS: "storage.fs";
  readonly StorageSQL: "storage.sql";
  readonly EventsEmit: "events.emit";
  readonly NetworkFetch: "network.fetch";
  readonly HttpServe: "http.serve";
  readonly ServerRead: "server.read";
  readonly NotificationsSend: "notifications.send";
  readonly UsersRead: "users.read";
  readonly UsersModerate: "users.moderate";
  readonly UsersRegister: "users.register";
  readonly AuthGate: "auth.gate";
  readonly FediversePost: "fediverse.post";
  readonly FediverseInbound: "fediverse.inbound";
  readonly HttpSSE: "http.sse";
  readonly VideoConfigRead: "videoconfig.read";
  readonly VideoConfigWrite: "videoconfig.write";
  readonly UIModify: "ui.modify";
};

// ---------------------------------------------------------------------------
// Plugin definition

type Awaitable<T> = T | Promise<T>;
type Notify<P> = (payload: P) => Awaitable<void>;

/** What a command handler receives. */
export interface CommandContext {
  msg: ChatMessage;
  user?: ChatMessage["user"];
  /** The command's canonical name (not the alias used). */
  command: string;
  /** The word typed after the prefix. */
  invokedAs: string;
  args: string[];
  argString: string;
  /** Answers in public as the plugin's bot. */
  reply(text: string): void;
  /** Whispers to the sender, in public when their connection is unknown. */
  replyPrivately(text: string): void;
}

export interface CommandDefinition {
  description?: string;
  usage?: string;
  aliases?: string[];
  /** Only senders with the MODERATOR scope. */
  modOnly?: boolean;
  /** Minimum time between two runs per user, by message timestamp. */
  cooldownMs?: number;
  run(ctx: CommandContext): void;
  /** A non-moderator sent this mod-only command (the host runs nothing; an extension that subscribes to chat messages). */
  onDenied?(ctx: CommandContext): void;
  /** defineCommands only: the host drops a command cooling down silently, as upstream. */
  onCooldown?(ctx: CommandContext): void;
}

export interface CommandsConfig {
  /** Default "!". */
  prefix?: string;
  caseSensitive?: boolean;
  commands: Record<string, CommandDefinition>;
  onUnknown?(ctx: CommandContext): void;
  onDenied?(ctx: CommandContext): void;
  onCooldown?(ctx: CommandContext): void;
}

export interface PluginDef {
  /**
   * Chat commands: register() declares them (upstream's `commands`) and the
   * host routes each match as `chat.command` to its run(ctx).
   */
  commands?: Record<string, CommandDefinition>;
  /** Default "!". */
  commandPrefix?: string;
  commandsCaseSensitive?: boolean;
  /** A prefixed message that names no command (subscribes to chat messages; an extension). */
  onUnknownCommand?(ctx: CommandContext): void;

  onChatMessage?: Notify<ChatMessage>;
  /** Return filter.pass(), .modify(payload) or .drop(reason); a throw passes (fail open). */
  filterChatMessage?: (msg: ChatMessage) => Awaitable<FilterResult | void>;
  onChatUserJoined?: Notify<EventPayloads["chat.user.joined"]>;
  onChatUserParted?: Notify<EventPayloads["chat.user.parted"]>;
  onChatUserRenamed?: Notify<ChatUserRename>;
  onMessageModerated?: Notify<ChatMessageModeration>;
  onStreamStarted?: Notify<StreamLifecycleEvent>;
  onStreamStopped?: Notify<EventPayloads["stream.stopped"]>;
  onStreamTitleChanged?: Notify<EventPayloads["stream.title.changed"]>;
  onSseConnect?: Notify<SSEConnectionEvent>;
  onSseDisconnect?: Notify<SSEConnectionEvent>;
  /** Once a second while defined. */
  onTick?: Notify<TickEvent>;
  /** A verified inbound ActivityPub activity (raw JSON). */
  onFediverse?: Notify<any>;
  onFediverseFollow?: Notify<EventPayloads["fediverse.follow"]>;
  onFediverseLike?: Notify<EventPayloads["fediverse.like"]>;
  onFediverseRepost?: Notify<EventPayloads["fediverse.repost"]>;
  onFediverseQuote?: Notify<FediverseQuote>;
  onFediverseMention?: Notify<FediverseInboundPost>;
  onFediverseReply?: Notify<EventPayloads["fediverse.reply"]>;
  /**
   * Requests under /plugins/<slug>/ not served from public/ (needs
   * http.serve). Return a response object, a string (text/plain), any other
   * value (sent as JSON), or nothing (200, empty).
   */
  onHttpRequest?: (req: IncomingHttpRequest) => Awaitable<OutgoingHttpResponse | string | object | void>;
  /** HTML of a tab the manifest declares without static content. */
  onTabContent?: (req: ContentRequest) => Awaitable<string | null | void>;
  /** HTML of the extraPageContent slot the manifest declares without static content. */
  onPageContent?: (req: ContentRequest) => Awaitable<string | null | void>;
  /** CSS for the viewer page (ui.modify). */
  onPageStyles?: () => Awaitable<string | null | void>;
  /** JavaScript for the viewer page (ui.modify). */
  onPageScripts?: () => Awaitable<string | null | void>;
  /** Re-validates a gate session (auth.gate); return authCheck.ok/refresh/deny. */
  onAuthCheck?: (req: AuthCheckRequest) => Awaitable<AuthCheckResult | void>;
  /** Custom (plugin-emitted) events by type, e.g. "announcement.broadcast". */
  on?: Record<string, (payload: any, eventType: string) => Awaitable<void>>;
  /** Filter chain position of every filter handler (lower runs earlier). */
  filterPriority?: number;
  /** Properties starting with "_" are allowed for helpers. */
  [helper: `_${string}`]: unknown;
}
/** @deprecated use PluginDef */
export type PluginDefinition = PluginDef;

/** The Extism exports definePlugin attaches (non-enumerable) for extism-js. */
export interface PluginExports {
  register(): number;
  on_event(): number;
  on_filter(): number;
  on_http_request(): number;
}

/** Registers the plugin (subscriptions follow from the handler names) and returns it. */
export function definePlugin(def: PluginDef): PluginDef & PluginExports;

/** A chat-command router: true when the message was a command (even if refused). */
export function defineCommands(config: CommandsConfig): (msg: ChatMessage) => boolean;

export const filter: {
  pass(): { action: "pass" };
  modify<P>(payload: P): { action: "modify"; payload: P };
  drop(reason?: string): { action: "drop"; reason?: string };
};

export const authCheck: {
  ok(): AuthCheckResult;
  refresh(opts?: { ttl?: number }): AuthCheckResult;
  deny(reason?: string): AuthCheckResult;
};

/** `s` with & < > " ' ` escaped for HTML (null and undefined: ""). */
export function escapeHtml(s: unknown): string;
/** Template tag escaping every interpolated value: html`<b>${name}</b>`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): string;

// ---------------------------------------------------------------------------
// owncast.*

/** What owncast.http.fetch returns. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** status 200-299 */
  ok: boolean;
  text(): string;
  json(): any;
}
/** @deprecated use HttpResponse */
export type FetchResponse = HttpResponse;

export interface HttpRequestOpts {
  /** Default GET. */
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | string;
  headers?: Record<string, string>;
  /** Objects are sent as JSON (content-type application/json). */
  body?: string | ArrayBuffer | ArrayBufferView | object;
}
/** @deprecated use HttpRequestOpts */
export type FetchOptions = HttpRequestOpts;

/** @deprecated use SQLExecResult */
export type SqlExecResult = SQLExecResult;
/** @deprecated use SQLValue */
export type SqlParam = SQLValue;

type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

export const owncast: {
  chat: {
    /** Sends a chat message as the plugin's bot (chat.send). */
    send(text: string): void;
    sendAction(text: string): void;
    /** A system message: HTML body, no user. Escape what you did not write (escapeHtml). */
    system(html: string): void;
    /** @deprecated use system */
    sendSystem(html: string): void;
    sendTo(clientId: number | bigint, text: string): void;
    /** Whispers to the sender of `msg`; false when their connection is unknown. */
    replyTo(msg: ChatMessage | number | bigint, text: string): boolean;
    /** The last `limit` (default 50) chat messages (chat.history). */
    history(limit?: number): ChatMessage[];
    clients(): ChatClient[];
    /** chat.moderate */
    deleteMessage(messageId: string): void;
    kick(clientId: number | bigint): void;
    /** @deprecated use kick */
    kickClient(clientId: number | bigint): void;
  };
  kv: {
    /** The stored string, or null (storage.kv). */
    get(key: string): string | null;
    /** Non-string values are stored as JSON. */
    set(key: string, value: unknown): void;
    /** The stored JSON value; `fallback` when unset or not JSON. */
    getJSON<T = unknown>(key: string, fallback?: T): T;
    setJSON(key: string, value: unknown): void;
  };
  storage: {
    /** storage.upload; null when refused. */
    upload(name: string, data: string | Bytes): UploadResult | null;
  };
  fs: {
    /** storage.fs; paths inside the plugin's data directory. Bytes, or null when missing. */
    read(path: string): Uint8Array | null;
    /** UTF-8 text, or null when missing. */
    readText(path: string): string | null;
    write(path: string, data: string | Bytes): FsResult;
    list(dir?: string): string[];
    delete(path: string): FsResult;
    exists(path: string): boolean;
  };
  sql: {
    /**
     * storage.sql: runs the statements (`?` parameters) as one transaction
     * in the plugin's own SQLite database. Throws on failure.
     */
    exec(sql: string, params?: SQLValue[]): SQLExecResult;
    /** Rows keyed by column name; a result over the host's limits throws (add a LIMIT). */
    query<T = SQLRow>(sql: string, params?: SQLValue[]): T[];
    /** The first row, or null (asks the host for one row only). */
    queryRow<T = SQLRow>(sql: string, params?: SQLValue[]): T | null;
  };
  events: {
    /** Emits a custom event (events.emit); other plugins receive it through `on`. */
    emit(type: string, payload?: unknown): void;
  };
  stream: {
    /** server.read */
    current(): StreamInfo;
    broadcaster(): StreamBroadcaster | Record<string, never>;
  };
  server: {
    /** server.read */
    info(): ServerInfo;
    socials(): SocialHandle[];
    emotes(): Emote[];
    federation(): FederationInfo;
    tags(): string[];
    /** @deprecated use owncast.stream.current */
    streamCurrent(): StreamInfo;
    /** @deprecated use owncast.stream.broadcaster */
    broadcaster(): StreamBroadcaster | Record<string, never>;
  };
  videoConfig: {
    /** videoconfig.read */
    read(): VideoConfig;
    /** videoconfig.write; fields left out stay as they are. Throws when refused. */
    write(config: VideoConfigUpdate): void;
  };
  notifications: {
    /** notifications.send */
    discord(message: string): void;
    /** A string is the title. */
    browserPush(payload: string | BrowserPushPayload): void;
    fediverse(payload: FediversePayload): void;
  };
  users: {
    /** users.read */
    list(): User[];
    get(id: string): User | null;
    /** users.moderate */
    setEnabled(id: string, enabled: boolean, reason?: string): void;
    banIP(ip: string): void;
    /** @deprecated use banIP */
    banIp(ip: string): void;
    /** users.register: find or create the user of an external identity. */
    register(opts: string | UserRegisterRequest): UserRegisterResult;
  };
  auth: {
    /** auth.gate, inside onHttpRequest: a session for a registered user. */
    grantSession(opts: string | GrantSessionRequest): void;
    endSession(): void;
  };
  fediverse: {
    /** fediverse.post; null when refused. */
    post(text: string): UploadResult | null;
  };
  sse: {
    /** http.sse: sends to clients of /plugins/<slug>/_sse/<channel> ("" event = "message"). */
    send(channel: string, event: string, data: unknown): void;
  };
  actions: {
    /** ui.modify: adds buttons to the manifest's `actions`. */
    add(actions: ActionButton | ActionButton[]): void;
    /** Removes the buttons added at run time. */
    clear(): void;
  };
  /** @deprecated use owncast.actions */
  ui: {
    /** @deprecated use owncast.actions.add */
    addActions(actions: ActionButton | ActionButton[]): void;
    /** @deprecated use owncast.actions.clear */
    clearActions(): void;
  };
  /** Host-driven timers (no permission); lost on reload. */
  timer: {
    setTimeout(fn: () => void, ms: number): number;
    setInterval(fn: () => void, ms: number): number;
    clear(id: number): void;
  };
  /** Files the plugin ships in assets/ (no permission). */
  assets: {
    read(path: string): Uint8Array | null;
    readText(path: string): string | null;
  };
  http: {
    /** Synchronous outbound HTTP (network.fetch, limited to network.allowedHosts). */
    fetch(url: string, options?: HttpRequestOpts): HttpResponse;
  };
  config: {
    /** The setting's value, typed by the manifest's `config` schema; `fallback` when unset. */
    get<T = any>(key: string, fallback?: T): T;
  };
  /**
   * The Owncast server log, attributed to the plugin. `info`, `warning` and
   * `error` are upstream's (owncast_log_*, no permission); arguments are
   * joined like console's. `trace`, `debug` and `warn` (= `warning`) are this
   * SDK's.
   */
  log: {
    trace(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    warning(...args: unknown[]): void;
    error(...args: unknown[]): void;
  };
  /** The manifest this plugin runs with (from the host's config or the build). */
  manifest(): Record<string, any> | null;
};

export class PermissionError extends Error {
  constructor(permission: string, api: string);
  permission: string;
}

/** The built-in event types. */
export const events: string[];

/** Handler name -> [kind, event type]. */
export const handlers: Record<string, ["notify" | "filter", string]>;
