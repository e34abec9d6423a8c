// Types of @owncast/plugin-sdk/testing: the scenario format the native
// runner reads (`__tests__/*.test.json`, upstream's format plus the project's
// marked extensions). The runner refuses unknown keys, so these types list
// every key it accepts.

import type {
  ChatClient,
  ChatMessage,
  ChatUser,
  FederationInfo,
  ServerInfo,
  SocialHandle,
  StreamBroadcaster,
  StreamInfo,
  User,
  VideoConfig,
  VideoConfigUpdate,
} from "./index";

/** A canned answer to an outbound request (owncast.http.fetch). */
export interface CannedResponse {
  /** Glob over the full URL (`*` matches anything). */
  url: string;
  /** Only requests with this method; any when absent. */
  method?: string;
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is, other JSON as JSON text. */
  body?: unknown;
}

/** The state before the first step. */
export interface Given {
  /** The plugin's key-value store. */
  kv?: Record<string, string>;
  /** Admin-set values of the manifest's `config` (owncast.config.get). */
  config?: Record<string, unknown>;
  /** The first whose url and method match answers; a request none matches fails. */
  httpResponses?: CannedResponse[];
  stream?: StreamInfo;
  server?: ServerInfo;
  chatHistory?: ChatMessage[];
  chatClients?: ChatClient[];
  users?: User[];
  socials?: SocialHandle[];
  federation?: FederationInfo;
  broadcaster?: StreamBroadcaster;
  tags?: string[];
  videoConfig?: VideoConfig;
}

/** A notification: the handler of `event` gets `payload`. */
export interface EventStep {
  event: string;
  payload?: unknown;
}

/** A filter call, its verdict checked when `expect` is given. */
export interface FilterStep {
  filter: string;
  payload?: unknown;
  expect?: {
    action: "pass" | "modify" | "drop";
    /** modify: contained in the new payload. */
    payload?: unknown;
    /** drop: equal, or a regular expression written `/.../` (extension). */
    reason?: string;
  };
}

/** A request to the plugin's routes (/plugins/<slug>/<path>). */
export interface HttpStep {
  http: {
    /** Default GET. */
    method?: string;
    /** Path under the plugin, with the query: "/login?next=/". */
    path: string;
    headers?: Record<string, string>;
    /** A string is sent as is, other JSON as JSON text (extension). */
    body?: unknown;
    /** An Owncast admin. */
    authenticated?: boolean;
    /** A viewer with a chat identity. */
    user?: ChatUser;
    expect?: {
      status?: number;
      /** Names compared without case. */
      headers?: Record<string, string>;
      /** A string equals the body; other JSON is contained in it (extension). */
      body?: unknown;
      bodyContains?: string;
    };
  };
}

/** The gate plugin's onAuthCheck, with the viewer `user`. */
export interface AuthCheckStep {
  authCheck: {
    user?: User;
    /** Each field checked when non-empty. */
    expect?: { action?: "ok" | "refresh" | "deny"; reason?: string };
  };
}

/** One of the plugin's content exports called directly; a missing export returns "". */
export interface ContentCall {
  /** The tab's or slot's slug (unused by pageStyles and pageScripts). */
  slug?: string;
  /** The viewer the tab or slot is rendered for. */
  user?: ChatUser;
  /** Each checked when non-empty, against the text as the plugin returned it. */
  expect?: { body?: string; bodyContains?: string };
}

/** onTabContent with {slug, user?}. */
export interface TabContentStep {
  tabContent: ContentCall;
}

/** onPageContent with {slug, user?}. */
export interface PageContentStep {
  pageContent: ContentCall;
}

/** onPageStyles. */
export interface PageStylesStep {
  pageStyles: ContentCall;
}

/** onPageScripts. */
export interface PageScriptsStep {
  pageScripts: ContentCall;
}

/** Moves the host's timer clock this many milliseconds, firing what falls due (extension). */
export interface AdvanceTimersStep {
  advanceTimers: number;
}

export type Step =
  | EventStep
  | FilterStep
  | HttpStep
  | TabContentStep
  | PageContentStep
  | PageStylesStep
  | PageScriptsStep
  | AuthCheckStep
  | AdvanceTimersStep;

/**
 * The effects after the last step. A list is compared whole and in order
 * (`[]`: none happened); inside an entry an optional field is checked only
 * when given.
 */
export interface Expect {
  chatSends?: string[];
  chatActions?: string[];
  /** System messages as the host keeps them (sanitized HTML). */
  chatSystems?: string[];
  chatTo?: { clientId: number; text: string }[];
  deletedMessages?: string[];
  kickedClients?: number[];
  discordPosts?: string[];
  browserPushes?: { title: string; body?: string; url?: string }[];
  fediversePosts?: { type: string; body?: string; image?: string; link?: string }[];
  fediverseOutbox?: string[];
  userModerations?: { userId: string; enabled: boolean; reason?: string }[];
  bannedIPs?: string[];
  /** owncast.users.register calls; the scenario host answers userId "u-<authId>". */
  userRegistrations?: { authId: string; displayName?: string; scopes?: string[] }[];
  /** owncast.auth.grantSession calls; ttl checked when non-zero. */
  sessionGrants?: { userId: string; ttl?: number }[];
  /** owncast.auth.endSession calls, checked when non-zero. */
  sessionClears?: number;
  uploads?: { name: string; body?: string }[];
  videoConfigWrites?: VideoConfigUpdate[];
  emits?: { eventType: string; payload?: unknown }[];
  /** Keys that must hold these values; a missing key equals "". */
  kv?: Record<string, string>;
  httpRequests?: { url: string; method?: string; body?: string }[];
  sseSends?: { channel: string; event?: string; data?: string }[];
  /**
   * Chat commands the plugin registered, matched by name in any order:
   * prefix, description and usage checked when non-empty, aliases when
   * given, modOnly, caseSensitive and cooldownMs always (absent: false/0).
   */
  commands?: {
    name: string;
    prefix?: string;
    description?: string;
    usage?: string;
    aliases?: string[];
    modOnly?: boolean;
    caseSensitive?: boolean;
    cooldownMs?: number;
  }[];
}

/** One scenario: an entry of a __tests__/*.test.json file. */
export interface Scenario {
  name: string;
  given?: Given;
  events?: Step[];
  expect?: Expect;
}

export interface RunOptions {
  /** The plugin project (default: process.cwd()). */
  cwd?: string;
  /** Names the generated scenario file in reports. */
  name?: string;
}

/** Runs scenarios against the built plugin; sets process.exitCode on failure. */
export function runScenarios(scenarios: Scenario[], opts?: RunOptions): boolean;

/** Loads every __tests__/*.test.js in name order. */
export function runScenarioFiles(opts?: { cwd?: string }): boolean;
