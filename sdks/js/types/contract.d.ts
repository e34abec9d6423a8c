// Generated from wit/ by `owncast-plugin contract --ts`. Do not edit by hand.
// The JSON shapes of the owncast:plugin@1.0.0 records (camelCase keys).

/** A chat participant. */
export interface User {
  id: string;
  displayName: string;
  /** Owncast's colour index for the name. */
  displayColor?: number | null;
  /** RFC 3339. */
  createdAt?: string | null;
  previousNames: string[];
  /** Owncast access scopes, e.g. `MODERATOR`. */
  scopes: string[];
  isBot: boolean;
  authenticated: boolean;
}

/** A chat message (`chat.message.received`). */
export interface ChatMessage {
  id: string;
  user: User;
  body: string;
  /** RFC 3339; the plugin's clock (guest time may be frozen). */
  timestamp: string;
  /** Chat connection the message came from, when known. */
  clientId?: number | null;
}

/** `chat.user.joined` and `chat.user.parted`. */
export interface ChatUserEvent {
  user: User;
  clientId?: number | null;
  timestamp: string;
}

/** `chat.user.renamed`. */
export interface NameChange {
  user: User;
  previousName: string;
  newName: string;
  timestamp: string;
}

/** `chat.message.moderated`: a moderator hid, showed or deleted a message. */
export interface MessageModeration {
  messageId: string;
  /** `hidden`, `visible` or `deleted`. */
  action: string;
  moderator?: User | null;
  timestamp: string;
}

/** The live stream; `stream.started`, `stream.stopped` and `server.stream-current`. */
export interface StreamInfo {
  online: boolean;
  title: string;
  /** RFC 3339, when the current or last stream started. */
  startedAt?: string | null;
  viewerCount: number;
}

/** `stream.title.changed`. */
export interface StreamTitleChange {
  title: string;
  previousTitle?: string | null;
  timestamp: string;
}

/** `sse.connect` and `sse.disconnect`: a viewer opened or closed one of the plugin's server-sent-event channels. */
export interface SseConnection {
  channel: string;
  connectionId: string;
  remoteAddr: string;
}

/** Who acted on the fediverse. */
export interface FediverseActor {
  name: string;
  username: string;
  url: string;
  image?: string | null;
}

/** `fediverse.follow|like|repost|mention|reply`. */
export interface FediverseEngagement {
  actor: FediverseActor;
  /** The post acted on, when there is one. */
  objectUrl?: string | null;
  /** Text of a mention or reply. */
  content?: string | null;
  timestamp: string;
}

/** A plugin-emitted event; the payload is JSON text. */
export interface CustomEvent {
  eventType: string;
  payloadJson: string;
}

export interface NotifySubscription {
  event: string;
}

export interface FilterSubscription {
  event: string;
  /** Lower runs first; the manifest's `filterPriority` when absent. */
  priority?: number | null;
}

export interface Subscriptions {
  notify: NotifySubscription[];
  filter: FilterSubscription[];
}

/** What `register` returns: the plugin as it sees itself. The host compares slug, version and permissions with `plugin.manifest.json`. */
export interface Registration {
  slug: string;
  name: string;
  version: string;
  permissions: string[];
  subscriptions: Subscriptions;
}

/** A request under `/plugins/<slug>/`. */
export interface HttpRequest {
  method: string;
  /** Relative to `/plugins/<slug>/`, without the query. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** In JSON an object of name to value. */
  headers: Record<string, string>;
  body: string;
  remoteAddr: string;
  /** Whether the request carried Owncast admin authentication. */
  authenticated: boolean;
  user?: User | null;
}

export interface HttpResponse {
  /** 200 when the legacy JSON leaves it out. */
  status: number;
  /** In JSON an object of name to value; filtered through the host's allowlist. */
  headers: Record<string, string>;
  body: string;
}

/** Outcome of a host call that can fail without trapping (`{ok, error?}` in JSON). */
export interface OpResult {
  ok: boolean;
  error?: string | null;
}

/** A connected chat client. */
export interface ChatClient {
  id: number;
  user: User;
  connectedAt: string;
  userAgent?: string | null;
  messageCount: number;
}

/** The streaming software currently connected. */
export interface Broadcaster {
  remoteAddr: string;
  connectedAt: string;
  encoder?: string | null;
  width?: number | null;
  height?: number | null;
  framerate?: number | null;
  videoCodec?: string | null;
  audioCodec?: string | null;
}

export interface ServerInfo {
  name: string;
  summary: string;
  serverUrl: string;
  logoUrl?: string | null;
  version: string;
  nsfw: boolean;
}

export interface SocialHandle {
  platform: string;
  url: string;
  icon?: string | null;
}

export interface FederationInfo {
  enabled: boolean;
  username: string;
  account: string;
  followerCount: number;
}

export interface VideoVariant {
  name: string;
  videoBitrate: number;
  framerate: number;
  width?: number | null;
  height?: number | null;
  cpuUsageLevel: number;
  videoPassthrough: boolean;
  audioPassthrough: boolean;
}

export interface VideoConfig {
  latencyLevel: number;
  codec: string;
  variants: VideoVariant[];
}

/** Fields left out stay as they are. */
export interface VideoConfigUpdate {
  latencyLevel?: number | null;
  codec?: string | null;
  variants?: VideoVariant[] | null;
}

export interface BrowserPush {
  title: string;
  body: string;
  url?: string | null;
}

/** Result of an upload or a fediverse post. */
export interface UrlResult {
  url: string;
}

/** A button shown under the stream (Owncast "external action"). */
export interface ActionButton {
  url: string;
  title: string;
  description?: string | null;
  icon?: string | null;
  color?: string | null;
  openExternally: boolean;
  /** Sanitized by the host before it reaches viewers. */
  html?: string | null;
}

/** Built-in event types and their payloads. */
export interface EventPayloads {
  "chat.message.received": ChatMessage;
  "chat.user.joined": ChatUserEvent;
  "chat.user.parted": ChatUserEvent;
  "chat.user.renamed": NameChange;
  "chat.message.moderated": MessageModeration;
  "stream.started": StreamInfo;
  "stream.stopped": StreamInfo;
  "stream.title.changed": StreamTitleChange;
  "sse.connect": SseConnection;
  "sse.disconnect": SseConnection;
  "fediverse.follow": FediverseEngagement;
  "fediverse.like": FediverseEngagement;
  "fediverse.repost": FediverseEngagement;
  "fediverse.mention": FediverseEngagement;
  "fediverse.reply": FediverseEngagement;
}

export type BuiltinEventType = keyof EventPayloads;

/** The legacy `on_event`/`on_filter` input. */
export type EventEnvelope =
  | { [K in BuiltinEventType]: { eventType: K; payload: EventPayloads[K] } }[BuiltinEventType]
  | { eventType: string; payload: unknown };

/** The legacy `on_filter` output. */
export type FilterResultJson =
  | { action: "pass" }
  | { action: "modify"; payload: unknown }
  | { action: "drop"; reason?: string };
