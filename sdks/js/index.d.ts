// Type declarations for @owncast/plugin-sdk.

export interface ChatUser {
  id: string;
  displayName: string;
  [key: string]: unknown;
}

export interface ChatMessage {
  id: string;
  user: ChatUser;
  body: string;
  /** RFC 3339; use it as the plugin's clock (Date.now() may be frozen). */
  timestamp: string;
  [key: string]: unknown;
}

export interface HttpRequest {
  method: string;
  /** Relative to /plugins/<slug>/. */
  path: string;
  query: unknown;
  headers: Record<string, string>;
  body: string;
  remoteAddr: string;
  /** Whether the request carried Owncast auth. */
  authenticated: boolean;
  user?: { id: string; displayName: string; [key: string]: unknown };
  /** JSON.parse(body) */
  json(): any;
}

export interface HttpResponse {
  status?: number;
  headers?: Record<string, string | number>;
  /** Strings pass as is; other values are sent as JSON. */
  body?: unknown;
}

export type FilterResult =
  | { action: "pass" }
  | { action: "modify"; payload: unknown }
  | { action: "drop"; reason?: string };

type Awaitable<T> = T | Promise<T>;
type Notify<P = any> = (payload: P) => Awaitable<void>;

export interface PluginDefinition {
  onChatMessage?: Notify<ChatMessage>;
  filterChatMessage?: (msg: ChatMessage) => Awaitable<FilterResult | void>;
  onChatUserJoined?: Notify;
  onChatUserParted?: Notify;
  onChatUserRenamed?: Notify;
  onMessageModerated?: Notify;
  onStreamStarted?: Notify;
  onStreamStopped?: Notify;
  onStreamTitleChanged?: Notify;
  onSseConnect?: Notify;
  onSseDisconnect?: Notify;
  onFediverseFollow?: Notify;
  onFediverseLike?: Notify;
  onFediverseRepost?: Notify;
  onFediverseMention?: Notify;
  onFediverseReply?: Notify;
  /** Requests under /plugins/<slug>/ not served from public/ (needs http.serve). */
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
  pass(): FilterResult;
  modify(payload: unknown): FilterResult;
  drop(reason?: string): FilterResult;
};

export interface FetchResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  body: string;
  text(): string;
  json(): any;
}

type Json = any;

export const owncast: {
  chat: {
    send(text: string): void;
    sendAction(text: string): void;
    sendSystem(html: string): void;
    sendTo(clientId: number, text: string): void;
    history(limit?: number): ChatMessage[];
    clients(): Json[];
    deleteMessage(messageId: string): void;
    kickClient(clientId: number): void;
  };
  kv: {
    get(key: string): string | null;
    /** Non-string values are stored as JSON. */
    set(key: string, value: unknown): void;
  };
  storage: {
    upload(name: string, data: string | ArrayBuffer | ArrayBufferView): { url: string };
  };
  fs: {
    read(path: string): string | null;
    write(path: string, data: string | ArrayBuffer | ArrayBufferView): { ok: boolean; error?: string };
    list(path?: string): string[];
    delete(path: string): Json;
    exists(path: string): boolean;
  };
  events: {
    emit(type: string, payload?: unknown): void;
  };
  server: {
    streamCurrent(): Json;
    broadcaster(): Json;
    info(): Json;
    socials(): Json;
    federation(): Json;
    tags(): Json;
  };
  videoConfig: {
    read(): Json;
    write(config: unknown): { ok: boolean; error?: string };
  };
  notifications: {
    discord(message: string | object): void;
    browserPush(message: string | object): void;
    fediverse(message: string | object): void;
  };
  users: {
    list(): Json[];
    get(id: string): Json | null;
    setEnabled(id: string, enabled: boolean, reason?: string): void;
    banIp(ip: string): void;
  };
  fediverse: {
    post(text: string): { url: string };
  };
  sse: {
    send(channel: string, event: string, data: unknown): void;
  };
  ui: {
    addActions(actions: object | object[]): Json;
    clearActions(which?: unknown): Json;
  };
  http: {
    fetch(
      url: string,
      options?: { method?: string; headers?: Record<string, string>; body?: string | ArrayBuffer | ArrayBufferView | object }
    ): FetchResponse;
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
  manifest(): Json | null;
};

export class PermissionError extends Error {
  constructor(permission: string, api: string);
  permission: string;
}

/** The built-in event types. */
export const events: string[];

/** Handler name -> [kind, event type]. */
export const handlers: Record<string, ["notify" | "filter", string]>;
