// Type declarations for @owncast/plugin-sdk.
//
// The payload and host-data shapes (ChatMessage, User, StreamInfo, ...) are
// generated from the WIT contract into types/contract.d.ts by
// `owncast-plugin contract --ts sdks/js/types/contract.d.ts`; this file adds
// the SDK's own API on top of them.

import type {
  ActionButton,
  Broadcaster,
  BrowserPush,
  ChatClient,
  ChatMessage,
  ChatUserEvent,
  EventPayloads,
  FederationInfo,
  FediverseEngagement,
  FilterResultJson,
  HttpRequest as WireHttpRequest,
  MessageModeration,
  NameChange,
  OpResult,
  ServerInfo,
  SocialHandle,
  SseConnection,
  StreamInfo,
  StreamTitleChange,
  UrlResult,
  User,
  VideoConfig,
  VideoConfigUpdate,
} from "./types/contract";

// Every generated shape, under its WIT record name.
export * from "./types/contract";

/** @deprecated use User */
export type ChatUser = User;

/** What onHttpRequest receives: the wire request plus `json()`. */
export interface HttpRequest extends WireHttpRequest {
  /** JSON.parse(body) */
  json(): any;
}

/** What onHttpRequest may return as an object (missing status: 200). */
export interface HttpResponse {
  status?: number;
  headers?: Record<string, string | number>;
  /** Strings pass as is; other values are sent as JSON (content-type application/json). */
  body?: unknown;
}

/** filter.pass(), filter.modify(payload) or filter.drop(reason). */
export type FilterResult = FilterResultJson;

type Awaitable<T> = T | Promise<T>;
type Notify<P> = (payload: P) => Awaitable<void>;

export interface PluginDefinition {
  onChatMessage?: Notify<ChatMessage>;
  filterChatMessage?: (msg: ChatMessage) => Awaitable<FilterResult | void>;
  onChatUserJoined?: Notify<ChatUserEvent>;
  onChatUserParted?: Notify<ChatUserEvent>;
  onChatUserRenamed?: Notify<NameChange>;
  onMessageModerated?: Notify<MessageModeration>;
  onStreamStarted?: Notify<StreamInfo>;
  onStreamStopped?: Notify<StreamInfo>;
  onStreamTitleChanged?: Notify<StreamTitleChange>;
  onSseConnect?: Notify<SseConnection>;
  onSseDisconnect?: Notify<SseConnection>;
  onFediverseFollow?: Notify<FediverseEngagement>;
  onFediverseLike?: Notify<FediverseEngagement>;
  onFediverseRepost?: Notify<FediverseEngagement>;
  onFediverseMention?: Notify<FediverseEngagement>;
  onFediverseReply?: Notify<FediverseEngagement>;
  /**
   * Requests under /plugins/<slug>/ not served from public/ (needs
   * http.serve). Return a response object, a string (text/plain), any other
   * value (sent as JSON), or nothing (204).
   */
  onHttpRequest?: (req: HttpRequest) => Awaitable<HttpResponse | string | object | void>;
  /** Custom (plugin-emitted) events by type, e.g. "announcement.broadcast". */
  on?: Record<string, (payload: any, eventType: string) => Awaitable<void>>;
  /** Properties starting with "_" are allowed for helpers. */
  [helper: `_${string}`]: unknown;
}

/** The Extism exports (for extism-js: `module.exports = definePlugin(...)`). */
export interface PluginExports {
  register(): number;
  on_event(): number;
  on_filter(): number;
  on_http_request(): number;
}

/** Registers the plugin; subscriptions are derived from the handler names. */
export function definePlugin(def: PluginDefinition): PluginExports;

export const filter: {
  pass(): { action: "pass" };
  modify<P>(payload: P): { action: "modify"; payload: P };
  drop(reason?: string): { action: "drop"; reason?: string };
};

export interface FetchResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  body: string;
  text(): string;
  json(): any;
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Objects are sent as JSON (content-type application/json). */
  body?: string | ArrayBuffer | ArrayBufferView | object;
}

export const owncast: {
  chat: {
    /** Sends a chat message as the plugin's bot (chat.send). */
    send(text: string): void;
    sendAction(text: string): void;
    /** A system message: HTML body, no user. */
    sendSystem(html: string): void;
    sendTo(clientId: number, text: string): void;
    /** The last `limit` (default 50) chat messages (chat.history). */
    history(limit?: number): ChatMessage[];
    clients(): ChatClient[];
    /** chat.moderate */
    deleteMessage(messageId: string): void;
    kickClient(clientId: number): void;
  };
  kv: {
    /** The stored string, or null (storage.kv). */
    get(key: string): string | null;
    /** Non-string values are stored as JSON. */
    set(key: string, value: unknown): void;
  };
  storage: {
    /** storage.upload */
    upload(name: string, data: string | ArrayBuffer | ArrayBufferView): UrlResult;
  };
  fs: {
    /** storage.fs; paths inside the plugin's data directory. */
    read(path: string): string | null;
    write(path: string, data: string | ArrayBuffer | ArrayBufferView): OpResult;
    list(path?: string): string[];
    delete(path: string): OpResult | null;
    exists(path: string): boolean;
  };
  events: {
    /** Emits a custom event (events.emit); other plugins receive it through `on`. */
    emit(type: string, payload?: unknown): void;
  };
  server: {
    /** server.read */
    streamCurrent(): StreamInfo;
    broadcaster(): Broadcaster | null;
    info(): ServerInfo;
    socials(): SocialHandle[];
    federation(): FederationInfo;
    tags(): string[];
  };
  videoConfig: {
    /** videoconfig.read */
    read(): VideoConfig;
    /** videoconfig.write; fields left out stay as they are. */
    write(config: VideoConfigUpdate): OpResult;
  };
  notifications: {
    /** notifications.send */
    discord(message: string): void;
    browserPush(message: BrowserPush | string): void;
    fediverse(message: string): void;
  };
  users: {
    /** users.read */
    list(): User[];
    get(id: string): User | null;
    /** users.moderate */
    setEnabled(id: string, enabled: boolean, reason?: string): void;
    banIp(ip: string): void;
  };
  fediverse: {
    /** fediverse.post */
    post(text: string): UrlResult;
  };
  sse: {
    /** http.sse: sends to clients of /plugins/<slug>/_sse/<channel>. */
    send(channel: string, event: string, data: unknown): void;
  };
  ui: {
    /** ui.modify */
    addActions(actions: ActionButton | ActionButton[]): unknown;
    clearActions(which?: unknown): unknown;
  };
  http: {
    /** Synchronous outbound HTTP (network.fetch, limited to network.allowedHosts). */
    fetch(url: string, options?: FetchOptions): FetchResponse;
  };
  config: {
    /** Typed by the manifest's `config` schema; its default when unset. */
    get(key: string): any;
  };
  log: {
    trace(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
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
export const events: Array<keyof EventPayloads>;

/** Handler name -> [kind, event type]. */
export const handlers: Record<string, ["notify" | "filter", keyof EventPayloads]>;
